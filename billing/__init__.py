"""The platform's own subscriptions (public schema): plans with prices per currency,
limits and feature switches, and one subscription per business (trial, plan, status).
Stripe checkout and webhooks come in the next slice."""
