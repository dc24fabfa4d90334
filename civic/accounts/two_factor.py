"""Two-step verification: RFC 6238 time-based codes (TOTP) and one-time recovery codes.

* The secret is 160 random bits (base32), shown as a QR code (an SVG made here with ``segno``,
  nothing sent to another site) and as text for people who cannot scan.
* A code is accepted for the current 30-second step and one step either side (clock drift),
  and never twice: the step of the last accepted code is stored and a code must be for a
  later step (a conditional UPDATE makes two simultaneous uses of one code impossible).
* Ten recovery codes, each usable once, stored as HMAC-SHA256 hashes keyed with the site's
  secret; they are shown once, when made.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from civic.accounts.models import RecoveryCode, User
from civic.core.time import utcnow
from civic.extensions import db

DIGITS = 6
INTERVAL = 30
#: Steps accepted on either side of the current one.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10
_CODE_RE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    return pyotp.random_base32()


def valid_secret(secret: str | None) -> bool:
    return bool(secret) and re.fullmatch(r"[A-Z2-7]{16,64}", secret or "") is not None


def grouped(secret: str) -> str:
    """The secret in groups of four characters, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=account_name, issuer_name=current_app.config["SITE_NAME"]
    )


def qr_data_uri(uri: str) -> str:
    """An SVG QR code as a ``data:`` URI (allowed by the CSP's ``img-src``)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


def normalise_code(code: str | None) -> str:
    return re.sub(r"[\s-]", "", (code or "")).lower()


def looks_like_totp(code: str | None) -> bool:
    return bool(_CODE_RE.match(normalise_code(code)))


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step ``code`` is valid for (within the allowed drift), or None."""
    code = normalise_code(code)
    if not _CODE_RE.match(code) or not valid_secret(secret):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = totp.timecode(now or utcnow())
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, when: datetime) -> str:
    """The code an authenticator app shows at ``when`` (tests, demo)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).at(when)


def use_totp(user: User, code: str, now: datetime | None = None) -> bool:
    """Accept ``code`` once: True when valid and for a step later than any used before."""
    if not user.has_two_factor:
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    done = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_counter.is_(None), User.totp_last_counter < step),
        )
        .values(totp_last_counter=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        user.totp_last_counter = step
        db.session.flush()
        return True
    return False


# ---- recovery codes ---------------------------------------------------------------------------


def _recovery_hash(user_id: int, code: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    key = hmac.new(secret, b"civic.accounts.recovery-code", hashlib.sha256).digest()
    return hmac.new(key, f"{user_id}:{normalise_code(code)}".encode(), hashlib.sha256).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def replace_recovery_codes(user: User) -> list[str]:
    """Make a fresh set of codes (the old ones stop working); returns them in clear, once."""
    db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    now = utcnow()
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, c), created_at=now)
        for c in codes
    )
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code: True when it was valid and unused (it is now used)."""
    normal = normalise_code(code)
    if len(normal) != _RECOVERY_LENGTH or not user.has_two_factor:
        return False
    done = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(user.id, normal),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return bool(done)


def recovery_codes_left(user: User) -> int:
    return db.session.execute(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def check_second_factor(user: User, code: str) -> str | None:
    """Accept an authenticator code or a recovery code; returns which ("totp", "recovery")."""
    if looks_like_totp(code):
        return "totp" if use_totp(user, code) else None
    return "recovery" if use_recovery_code(user, code) else None
