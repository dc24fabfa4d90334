"""The "known device" cookie: which accounts signed in successfully on this browser.

A signed (not secret) list of account ids, newest first, set after every complete sign-in and
kept for ``KNOWN_DEVICE_DURATION``. It never signs anyone in; it only exempts sign-ins on this
browser from the progressive delays of ``throttle`` — so an attacker's failures cannot keep the
owner out of their own account on their usual device.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

COOKIE_NAME = "civic_device"
SALT = "civic.accounts.known-device"
MAX_ACCOUNTS = 5


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def read(value: str | None) -> list[int]:
    """The account ids of a cookie value ([] when absent, altered or too old)."""
    if not value or len(value) > 500:
        return []
    seconds = int(current_app.config["KNOWN_DEVICE_DURATION"].total_seconds())
    try:
        data = _serializer().loads(value, max_age=seconds)
    except BadSignature:
        return []
    if not isinstance(data, list):
        return []
    return [i for i in data if isinstance(i, int)][:MAX_ACCOUNTS]


def remember(response, current: list[int], user_id: int) -> None:
    """Add ``user_id`` to the browser's known accounts (refreshing the cookie's age)."""
    ids = [user_id] + [i for i in current if i != user_id]
    cfg = current_app.config
    response.set_cookie(
        COOKIE_NAME,
        _serializer().dumps(ids[:MAX_ACCOUNTS]),
        max_age=int(cfg["KNOWN_DEVICE_DURATION"].total_seconds()),
        httponly=True,
        secure=cfg.get("SESSION_COOKIE_SECURE", False),
        samesite="Lax",
    )


def forget(response, current: list[int], user_id: int) -> None:
    ids = [i for i in current if i != user_id]
    if ids:
        cfg = current_app.config
        response.set_cookie(
            COOKIE_NAME,
            _serializer().dumps(ids),
            max_age=int(cfg["KNOWN_DEVICE_DURATION"].total_seconds()),
            httponly=True,
            secure=cfg.get("SESSION_COOKIE_SECURE", False),
            samesite="Lax",
        )
    else:
        response.delete_cookie(COOKIE_NAME)
