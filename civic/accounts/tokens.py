"""Signed, expiring links sent by email (confirm an address, reset a password, change email).

Each purpose has its own salt, so a link made for one purpose never works for another. Every
token carries the account id, its email address and its ``security_stamp``: changing the
password or the email address bumps the stamp, which kills every link made before.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from civic.core.errors import InvalidInput

CONFIRM_EMAIL = "civic.accounts.confirm-email"
RESET_PASSWORD = "civic.accounts.reset-password"  # noqa: S105 - a salt name, not a secret
CHANGE_EMAIL = "civic.accounts.change-email"

#: The configuration setting holding each purpose's lifetime.
MAX_AGE_SETTING = {
    CONFIRM_EMAIL: "EMAIL_TOKEN_MAX_AGE",
    CHANGE_EMAIL: "EMAIL_TOKEN_MAX_AGE",
    RESET_PASSWORD: "RESET_TOKEN_MAX_AGE",
}


class InvalidToken(InvalidInput):
    """The link was altered, made for something else, or already used."""

    def __init__(self, message=None):
        super().__init__(message or _l("This link is not valid. It may have been used already, "
                                       "or copied incompletely."))


class ExpiredToken(InvalidToken):
    """The link is genuine but too old."""

    def __init__(self, message=None):
        super().__init__(message or _l("This link has expired."))


def max_age(purpose: str) -> timedelta:
    return current_app.config[MAX_AGE_SETTING[purpose]]


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def make_token(purpose: str, user, **extra) -> str:
    payload = {"u": user.id, "e": user.email, "s": user.security_stamp, **extra}
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> dict:
    """The token's payload; raises ``ExpiredToken`` or ``InvalidToken``."""
    if not token or len(token) > 2000:
        raise InvalidToken()
    seconds = int(max_age(purpose).total_seconds())
    try:
        data = _serializer(purpose).loads(token, max_age=seconds)
    except SignatureExpired as exc:
        raise ExpiredToken() from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise InvalidToken()
    return data
