"""Server-side sign-in sessions on top of Flask-Login.

The browser's cookie holds only a random token; the ``user_session`` row is the truth.
Deleting the row (sign-out, password change, account disabled, "sign out everywhere") ends
that session on the server, even for someone who copied the cookie.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import Flask, current_app, request
from flask_login import LoginManager, login_user
from flask_login import logout_user as _flask_logout
from sqlalchemy import delete, select

from civic.core.permissions import AnonymousUser
from civic.core.time import utcnow

TOUCH_EVERY = timedelta(minutes=5)


def _device(user_agent: str) -> str:
    ua = user_agent or ""
    browser = next(
        (b for b in ("Firefox", "Edg", "OPR", "Chrome", "Safari") if b in ua), "Browser"
    )
    browser = {"Edg": "Edge", "OPR": "Opera"}.get(browser, browser)
    system = next(
        (s for s in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux") if s in ua), ""
    )
    return f"{browser} {system}".strip()[:80]


def start_session(user, remember: bool = False) -> None:
    """Create a server-side session for ``user`` and sign the browser in."""
    from civic.accounts.models import UserSession, hash_token
    from civic.extensions import db

    if not user.is_active:
        raise ValueError("start_session called for an account that may not sign in")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    lifetime = (
        current_app.config["REMEMBER_COOKIE_DURATION"]
        if remember
        else current_app.config["PERMANENT_SESSION_LIFETIME"]
    )
    db.session.add(
        UserSession(
            token_hash=hash_token(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            remember=remember,
            device=_device(request.headers.get("User-Agent", "")),
        )
    )
    user.current_session_token = token
    user.last_login_at = now
    login_user(user, remember=remember, duration=lifetime)


def end_session(user) -> None:
    """Sign the current browser out and delete its server-side session."""
    from civic.accounts.models import UserSession, hash_token
    from civic.extensions import db

    token = getattr(user, "current_session_token", None)
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(token)))
    _flask_logout()


def end_all_sessions(user_id: int, keep_token: str | None = None) -> int:
    """Delete every session of a person (but ``keep_token``'s); returns how many ended."""
    from civic.accounts.models import UserSession, hash_token
    from civic.extensions import db

    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != hash_token(keep_token))
    return db.session.execute(stmt).rowcount or 0


def _load_user(token: str):
    from civic.accounts.models import AccountStatus, UserSession, hash_token
    from civic.extensions import db

    if not token or len(token) > 100:
        return None
    row = db.session.execute(
        select(UserSession).where(UserSession.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None:
        return None
    now = utcnow()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    if row.expires_at <= now or (not row.remember and row.last_seen_at + idle <= now):
        db.session.delete(row)
        db.session.commit()
        return None
    user = row.user
    if user.status in (AccountStatus.DISABLED, AccountStatus.BANNED):
        return None
    if user.status == AccountStatus.SUSPENDED and user.suspended_until and user.suspended_until <= now:
        user.status = AccountStatus.ACTIVE
        user.suspended_until = None
        db.session.commit()
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    user.current_session_token = token
    return user


def init_app(app: Flask, login_manager: LoginManager) -> None:
    from flask_babel import lazy_gettext as _l

    login_manager.init_app(app)
    login_manager.anonymous_user = AnonymousUser
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
