"""``AuditLogEntry``: one line of the append-only audit log.

The log has no foreign keys on purpose (like the moderation log): a line must outlive the
people and the objects it describes, and ``ON DELETE SET NULL`` would be an UPDATE, which the
log refuses. Who and what are kept as an id plus a label written at the time.

Changes are refused three ways: ORM ``before_update``/``before_delete`` listeners, a
``do_orm_execute`` listener for ``update()``/``delete()`` statements, and on PostgreSQL a
trigger (created in the migration) that rejects UPDATE, DELETE and TRUNCATE. The only way
to remove lines is ``civic.audit.services.purge_before`` used by the retention job, which sets
the transaction-local ``civic.audit_purge`` setting the trigger checks.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, Session, mapped_column

from civic.core.enums import LabelledEnum
from civic.core.time import utcnow
from civic.extensions import db


class AuditAction(LabelledEnum):
    """What was done. Stored as a VARCHAR without CHECK: new actions need no migration."""

    ADMIN_CREATED = "admin_created"
    ROLE_CHANGED = "role_changed"
    STATUS_CHANGED = "status_changed"
    RESIDENT_VERIFIED = "resident_verified"
    RESIDENT_UNVERIFIED = "resident_unverified"
    TWO_FACTOR_RESET = "two_factor_reset"
    DEPARTMENT_CREATED = "department_created"
    DEPARTMENT_UPDATED = "department_updated"
    MEMBERSHIP_ADDED = "membership_added"
    MEMBERSHIP_REMOVED = "membership_removed"
    CONSULTATION_PUBLISHED = "consultation_published"
    CONSULTATION_UNPUBLISHED = "consultation_unpublished"
    CONSULTATION_CLOSED = "consultation_closed"
    CONSULTATION_REPORT_PUBLISHED = "consultation_report_published"
    RESULTS_EXPORTED = "results_exported"
    PROPOSAL_ANSWERED = "proposal_answered"
    MEETING_CREATED = "meeting_created"
    MEETING_CHANGED = "meeting_changed"
    MEETING_CANCELLED = "meeting_cancelled"
    ACCOUNT_DELETED = "account_deleted"
    AUDIT_LOG_EXPORTED = "audit_log_exported"

    @classmethod
    def _labels(cls):
        return {
            "admin_created": _l("Administrator created from the command line"),
            "role_changed": _l("Role changed"),
            "status_changed": _l("Account status changed"),
            "resident_verified": _l("Resident verified"),
            "resident_unverified": _l("Resident verification removed"),
            "two_factor_reset": _l("Two-step verification reset"),
            "department_created": _l("Department created"),
            "department_updated": _l("Department changed"),
            "membership_added": _l("Added to a department"),
            "membership_removed": _l("Removed from a department"),
            "consultation_published": _l("Consultation published"),
            "consultation_unpublished": _l("Consultation taken back to draft"),
            "consultation_closed": _l("Consultation closed early"),
            "consultation_report_published": _l("Consultation report published"),
            "results_exported": _l("Results exported"),
            "proposal_answered": _l("Official answer to a proposal"),
            "meeting_created": _l("Meeting created"),
            "meeting_changed": _l("Meeting changed"),
            "meeting_cancelled": _l("Meeting cancelled"),
            "account_deleted": _l("Account deleted by its owner"),
            "audit_log_exported": _l("Audit log exported"),
        }


def action_column() -> sa.Enum:
    return sa.Enum(
        AuditAction,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=False,
        length=40,
        validate_strings=True,
        name="auditaction",
    )


class AuditLogEntry(db.Model):
    __tablename__ = "audit_log_entry"
    __table_args__ = (
        Index("ix_audit_log_entry_created", "created_at", "id"),
        Index("ix_audit_log_entry_action_created", "action", "created_at"),
        Index("ix_audit_log_entry_actor_created", "actor_id", "created_at"),
        Index("ix_audit_log_entry_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who acted (None: the command line or an automatic job) and their name at the time.
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[AuditAction] = mapped_column(action_column())
    #: What it was done to: a kind ("user", "department", "consultation"…), its id and a label.
    object_type: Mapped[str] = mapped_column(String(40), default="")
    object_id: Mapped[int | None]
    object_label: Mapped[str] = mapped_column(String(200), default="")
    #: Plain JSON data: the old and new values, the format of an export…
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<AuditLogEntry {self.id} {self.action}>"


class AuditLogIsAppendOnly(RuntimeError):
    """Raised on any attempt to change or delete a line of the audit log."""


def _refuse(mapper, connection, target) -> None:
    raise AuditLogIsAppendOnly("the audit log is append-only: lines cannot be changed or deleted")


event.listen(AuditLogEntry, "before_update", _refuse)
event.listen(AuditLogEntry, "before_delete", _refuse)

#: Set in ``Session.info`` by the retention purge only.
PURGE_FLAG = "civic_audit_purge"


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state) -> None:
    """``update(AuditLogEntry)`` and ``delete(AuditLogEntry)`` statements are refused too."""
    if not (state.is_update or state.is_delete):
        return
    if state.is_delete and state.session.info.get(PURGE_FLAG):
        return
    for mapper in state.all_mappers:
        if mapper.class_ is AuditLogEntry:
            raise AuditLogIsAppendOnly(
                "the audit log is append-only: lines cannot be changed or deleted"
            )
