"""Outbox, templates, SMS and email channels, and their Celery tasks."""
