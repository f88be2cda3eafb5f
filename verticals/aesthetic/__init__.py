"""Aesthetic vertical: its record forms arrive with the vertical's own issue."""
