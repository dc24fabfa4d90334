"""The account itself: profile, departments, sessions, sign-in history, recovery codes."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.accounts.models import RecoveryCode, SignInAttempt, UserSession
from civic.extensions import db
from civic.privacy.domains import enum_value, iso


def export(user) -> dict:
    sessions = db.session.execute(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.created_at)
    ).scalars()
    attempts = db.session.execute(
        select(SignInAttempt.created_at, SignInAttempt.outcome)
        .where(SignInAttempt.user_id == user.id)
        .order_by(SignInAttempt.created_at)
    ).all()
    codes_left = db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()
    return {
        "profile": {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "locale": user.locale,
            "timezone": user.timezone,
            "role": enum_value(user.role),
            "status": enum_value(user.status),
            "created_at": iso(user.created_at),
            "email_confirmed_at": iso(user.email_confirmed_at),
            "verified_resident_at": iso(user.verified_at),
            "suspended_until": iso(user.suspended_until),
            "last_sign_in_at": iso(user.last_login_at),
            "two_step_verification_since": iso(user.totp_enabled_at),
            "unused_recovery_codes": codes_left,
        },
        "departments": [
            {"slug": m.department.slug, "names": m.department.name_translations,
             "member_since": iso(m.created_at)}
            for m in user.memberships
        ],
        "sessions": [
            {"device": s.device, "signed_in_at": iso(s.created_at), "last_active_at": iso(s.last_seen_at),
             "expires_at": iso(s.expires_at), "kept_signed_in": s.remember}
            for s in sessions
        ],
        "sign_in_attempts": [
            {"at": iso(at), "outcome": enum_value(outcome)} for at, outcome in attempts
        ],
    }


def erase(user, remove_contributions: bool) -> None:
    """Sessions, memberships, recovery codes and sign-in attempts linked to the account go
    with the account row (ON DELETE CASCADE). Attempts that typed its address without being
    linked keep only keyed hashes and expire with the retention period."""
