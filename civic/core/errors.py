"""Domain errors raised by services; views turn them into 403/404 or form errors."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every business-rule failure. ``message`` is a translated, user-facing text."""

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it exists."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


class InvalidInput(DomainError):
    """The input breaks a rule; ``field`` names the form field to attach the message to."""


class Conflict(DomainError):
    """The action clashes with the current state (already done, closed, full…)."""
