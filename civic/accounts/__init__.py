"""Accounts: people, their roles, departments, sign-in sessions."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """Two-step verification is required for administrators and moderators."""
    from civic.accounts import enforce

    enforce.init_app(app)
