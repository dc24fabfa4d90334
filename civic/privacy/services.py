"""Data rights: download everything about oneself, delete one's account.

Nothing here reads the request; the views pass what they need and commit.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from flask import current_app, render_template
from flask_babel import lazy_gettext as _l

from civic.accounts import mails, two_factor
from civic.accounts.models import AccountStatus, Role, User
from civic.accounts.passwords import verify_password
from civic.audit.models import AuditAction
from civic.audit.services import audit
from civic.core.errors import Conflict, InvalidInput, PermissionDenied
from civic.core.mail import send_mail
from civic.core.time import utcnow
from civic.extensions import db
from civic.privacy.registry import contributors


def _require_self(actor, user: User) -> None:
    if actor is None or getattr(actor, "id", None) != user.id:
        raise PermissionDenied(_l("Only the account's owner can do this."))


# ---- download ---------------------------------------------------------------------------------


def export_archive(user: User, actor) -> bytes:
    """A ZIP with one JSON file per kind of data and a README.txt explaining them."""
    _require_self(actor, user)
    parts = contributors()
    generated = utcnow()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in parts:
            data = part.exporter(user)
            archive.writestr(
                f"{part.name}.json",
                json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True, default=str) + "\n",
            )
        readme = render_template(
            "privacy/export_readme.txt", user=user, parts=parts, generated=generated,
            privacy_url=mails.external_url("privacy.policy"),
        )
        archive.writestr("README.txt", readme)
    return buffer.getvalue()


def archive_name(user: User) -> str:
    return f"{current_app.config['SITE_NAME'].lower().replace(' ', '-')}-data-{user.id}-{utcnow():%Y%m%d}.zip"


# ---- deletion ---------------------------------------------------------------------------------


def erase_account(user: User, *, remove_contributions: bool) -> None:
    """Run every domain's eraser, then delete the account row (the database's ON DELETE rules
    do the rest). Flushes, never commits."""
    for part in contributors():
        part.eraser(user, remove_contributions)
        db.session.flush()
    db.session.delete(user)
    db.session.flush()


def _last_admin(user: User) -> bool:
    from sqlalchemy import select

    if user.role != Role.ADMIN or user.status != AccountStatus.ACTIVE:
        return False
    other = db.session.execute(
        select(User.id)
        .where(User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE, User.id != user.id)
        .limit(1)
        .with_for_update()
    ).first()
    return other is None


def delete_account(user: User, *, password: str, code: str | None, remove_contributions: bool,
                   actor) -> str:
    """Delete one's own account after the password (and a two-step code when it is on).

    Everything personal goes (see ``civic.privacy.domains``); a goodbye email is queued to the
    address the account had. Returns that address. The last active administrator cannot
    leave (someone must be able to run the site).
    """
    _require_self(actor, user)
    if not verify_password(user.password_hash, password or ""):
        raise InvalidInput(_l("Your current password is not right."), field="current_password")
    if user.has_two_factor and two_factor.check_second_factor(user, code or "") is None:
        raise InvalidInput(
            _l("Enter the code your app shows now, or one of your recovery codes."), field="code"
        )
    if _last_admin(user):
        raise Conflict(
            _l("You are the last active administrator. Make someone else an administrator first.")
        )
    to, subject, text, headers = mails.render_account_deleted(user)
    user_id = user.id
    erase_account(user, remove_contributions=remove_contributions)
    audit(None, AuditAction.ACCOUNT_DELETED, None, account_id=user_id,
          contributions="removed" if remove_contributions else "kept")
    send_mail(to, subject, text, headers=headers)
    return to


def contributors_summary() -> list[Any]:
    return [(p.name, p.label) for p in contributors()]
