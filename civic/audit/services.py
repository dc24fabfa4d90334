"""Writing, reading and exporting the audit log.

``audit(actor, action, obj, **details)`` adds one line in the caller's transaction (flushed,
never committed: it is kept exactly when the change it records is kept). ``details`` must be
plain JSON data; never put passwords, tokens or message bodies in it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, text

from civic.audit.models import PURGE_FLAG, AuditAction, AuditLogEntry
from civic.core.errors import PermissionDenied
from civic.core.permissions import is_admin
from civic.core.time import utcnow
from civic.extensions import db

LABEL_MAX = 200


def _object_type(obj: Any) -> str:
    return getattr(obj, "__tablename__", type(obj).__name__.lower())[:40]


def object_label(obj: Any) -> str:
    """A short human description of ``obj`` written at the time (names can change later)."""
    if obj is None:
        return ""
    for attr in ("display_name", "title"):
        value = obj.__dict__.get(attr)
        if isinstance(value, str) and value:
            return value[:LABEL_MAX]
    default_locale = obj.__dict__.get("default_locale") or "en"
    title_for = getattr(obj, "title_for", None)
    if callable(title_for) and "translations" in obj.__dict__:
        found = title_for(default_locale)
        if getattr(found, "text", ""):
            return found.text[:LABEL_MAX]
    name_for = getattr(obj, "name_for", None)
    if callable(name_for) and "name_translations" in obj.__dict__:
        found = name_for(default_locale)
        value = found[0] if isinstance(found, tuple) else getattr(found, "text", "")
        if value:
            return str(value)[:LABEL_MAX]
    slug = obj.__dict__.get("slug")
    return str(slug or f"#{getattr(obj, 'id', '')}")[:LABEL_MAX]


def audit(actor, action: AuditAction | str, obj: Any = None, **details: Any) -> AuditLogEntry:
    """Record that ``actor`` did ``action`` to ``obj``. ``actor`` None means the system."""
    action = AuditAction.coerce(action)
    details = json.loads(json.dumps(details, default=str))
    entry = AuditLogEntry(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=(getattr(actor, "display_name", "") or "")[:120],
        action=action,
        object_type=_object_type(obj) if obj is not None else "",
        object_id=getattr(obj, "id", None) if obj is not None else None,
        object_label=object_label(obj),
        details=details,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# ---- reading ----------------------------------------------------------------------------------


def entries_query(action: AuditAction | None = None, actor_id: int | None = None,
                  object_type: str | None = None, object_id: int | None = None):
    """Newest first, filtered by action and actor (both indexed with ``created_at``)."""
    stmt = select(AuditLogEntry)
    if action is not None:
        stmt = stmt.where(AuditLogEntry.action == action)
    if actor_id is not None:
        stmt = stmt.where(AuditLogEntry.actor_id == actor_id)
    if object_type:
        stmt = stmt.where(AuditLogEntry.object_type == object_type)
        if object_id is not None:
            stmt = stmt.where(AuditLogEntry.object_id == object_id)
    return stmt.order_by(AuditLogEntry.created_at.desc(), AuditLogEntry.id.desc())


def actors() -> list[tuple[int, str]]:
    """(id, latest label) of everyone who appears as an actor, for the filter."""
    rows = db.session.execute(
        select(AuditLogEntry.actor_id, AuditLogEntry.actor_label)
        .where(AuditLogEntry.actor_id.is_not(None))
        .group_by(AuditLogEntry.actor_id, AuditLogEntry.actor_label)
        .order_by(AuditLogEntry.actor_label)
    ).all()
    seen: dict[int, str] = {}
    for actor_id, label in rows:
        seen.setdefault(actor_id, label)
    return sorted(seen.items(), key=lambda pair: (pair[1].casefold(), pair[0]))


CSV_HEADER = ["id", "created_at_utc", "actor_id", "actor", "action", "object_type",
              "object_id", "object", "details"]
CSV_BATCH = 1000


def _safe_cell(value: Any) -> Any:
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(actor, stmt) -> Iterator[str]:
    """The lines selected by ``stmt`` as CSV, oldest first, read in batches of ids.

    The export itself is recorded (before the lines are read, so it is included).
    """
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators can do this."))
    audit(actor, AuditAction.AUDIT_LOG_EXPORTED)
    stmt = stmt.order_by(None).order_by(AuditLogEntry.id)
    rows = list(db.session.execute(stmt.with_only_columns(AuditLogEntry.id)).scalars())

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_HEADER)
        for start in range(0, len(rows), CSV_BATCH):
            ids = rows[start : start + CSV_BATCH]
            batch = db.session.execute(
                select(AuditLogEntry).where(AuditLogEntry.id.in_(ids)).order_by(AuditLogEntry.id)
            ).scalars()
            for e in batch:
                writer.writerow([_safe_cell(v) for v in (
                    e.id, e.created_at.isoformat(), e.actor_id or "", e.actor_label,
                    e.action.value, e.object_type, e.object_id or "", e.object_label,
                    json.dumps(e.details, ensure_ascii=False, sort_keys=True),
                )])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        if not rows:
            yield buffer.getvalue()

    return generate()


# ---- retention --------------------------------------------------------------------------------


def purge_before(cutoff: datetime) -> int:
    """Delete lines older than ``cutoff`` (the retention job only); returns how many."""
    session = db.session
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SET LOCAL civic.audit_purge = 'on'"))
    session.info[PURGE_FLAG] = True
    try:
        done = session.execute(
            delete(AuditLogEntry)
            .where(AuditLogEntry.created_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
    finally:
        session.info.pop(PURGE_FLAG, None)
        if bind.dialect.name == "postgresql":
            session.execute(text("SET LOCAL civic.audit_purge = 'off'"))
    return done or 0
