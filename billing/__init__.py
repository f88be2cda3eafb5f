"""The platform's own subscriptions with Stripe (public schema): plans, subscriptions and
Stripe events arrive with the billing issue."""
