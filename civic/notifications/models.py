"""Notification models (being written)."""
