"""Notifications, email preferences, the unread counter and follows.

A notification stores *what happened* (``kind``, real foreign keys to its subject, ``params``)
and never a rendered text: the title is rendered when it is shown or emailed, in the reader's
own language (see ``civic/notifications/kinds.py``).

``kind`` columns are deliberately a VARCHAR without a CHECK constraint (validated by the enum
in Python): a later capability adds a ``NotificationKind`` member and registers its renderer,
with no migration for the new value.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import Department, NotificationFrequency, User
from civic.core.enums import LabelledEnum, enum_column
from civic.core.time import utcnow
from civic.extensions import db
from civic.notifications.targets import TARGET_COLUMNS, exactly_one_sql, register_target

if TYPE_CHECKING:
    from civic.consultations.models import Consultation
    from civic.meetings.models import Meeting
    from civic.proposals.models import Proposal


class NotificationKind(LabelledEnum):
    """What a notification is about. Each member has a renderer in ``kinds.py``."""

    ACCOUNT_SECURITY = "account_security"
    ROLE_CHANGED = "role_changed"
    DEPARTMENT_UPDATE = "department_update"
    TEST = "test"
    PROPOSAL_ANSWERED = "proposal_answered"
    PROPOSAL_WITHDRAWN = "proposal_withdrawn"
    MEETING_SCHEDULED = "meeting_scheduled"
    MEETING_CHANGED = "meeting_changed"
    MEETING_CANCELLED = "meeting_cancelled"
    MEETING_REMINDER = "meeting_reminder"
    MEETING_PROMOTED = "meeting_promoted"
    MEETING_MINUTES = "meeting_minutes"
    COMMENT_NEW = "comment_new"
    COMMENT_REPLY = "comment_reply"
    MENTIONED = "mentioned"
    CONSULTATION_OPENED = "consultation_opened"
    CONSULTATION_CLOSED = "consultation_closed"
    CONSULTATION_CONCLUDED = "consultation_concluded"
    MODERATION_QUEUE = "moderation_queue"
    MODERATION_DECISION = "moderation_decision"
    MODERATION_APPEAL = "moderation_appeal"

    @classmethod
    def _labels(cls):
        return {
            "account_security": _l("Security and status of your account"),
            "role_changed": _l("Changes to your role, verification and departments"),
            "department_update": _l("News from departments you follow"),
            "test": _l("Test messages from the administrators"),
            "proposal_answered": _l("Official answers to proposals you wrote, support or follow"),
            "proposal_withdrawn": _l("Proposals you support or follow being withdrawn"),
            "meeting_scheduled": _l("Dates chosen for meetings whose date poll you answered"),
            "meeting_changed": _l("Changes of time, place or link of meetings you registered for"),
            "meeting_cancelled": _l("Cancellations of meetings you registered for"),
            "meeting_reminder": _l("Reminders before meetings you registered for"),
            "meeting_promoted": _l("A place for you at a meeting whose waiting list you joined"),
            "meeting_minutes": _l("Minutes of meetings you registered for"),
            "comment_new": _l("New comments on what you wrote or follow"),
            "comment_reply": _l("Replies to your comments"),
            "mentioned": _l("Comments mentioning you"),
            "consultation_opened": _l("Consultations you follow opening"),
            "consultation_closed": _l("Consultations you follow closing"),
            "consultation_concluded": _l("Reports (“you said, we did”) of consultations you took part in or follow"),
            "moderation_queue": _l("New entries in the moderation queue (moderators and department staff)"),
            "moderation_decision": _l("Moderation decisions about what you wrote or your account"),
            "moderation_appeal": _l("Decisions on your appeals against moderation"),
        }


def kind_column() -> sa.Enum:
    """A VARCHAR(40) holding a ``NotificationKind`` value, without a database CHECK."""
    return sa.Enum(
        NotificationKind,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        create_constraint=False,
        length=40,
        validate_strings=True,
        name="notificationkind",
    )


class EmailState(LabelledEnum):
    """Where a notification is on its way to the recipient's mailbox."""

    NOT_WANTED = "not_wanted"  # preference "never", or no confirmed address
    QUEUED = "queued"  # an immediate email job is pending
    DIGEST = "digest"  # waiting for the daily digest
    SENT = "sent"

    @classmethod
    def _labels(cls):
        return {
            "not_wanted": _l("Not emailed"),
            "queued": _l("Email on its way"),
            "digest": _l("Waiting for the daily digest"),
            "sent": _l("Emailed"),
        }


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (
        Index("ix_notification_recipient_read_created", "recipient_id", "read_at", "created_at"),
        Index("ix_notification_recipient_created", "recipient_id", "created_at"),
        Index("ix_notification_email_state_recipient", "email_state", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(kind_column())
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    #: Subject columns: at most one is set (none for notifications about the account itself).
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    email_state: Mapped[EmailState] = mapped_column(
        enum_column(EmailState), default=EmailState.NOT_WANTED
    )
    emailed_at: Mapped[datetime | None]

    recipient: Mapped[User] = relationship(foreign_keys=[recipient_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    department: Mapped[Department | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    consultation: Mapped[Consultation | None] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} to {self.recipient_id}>"


class NotificationState(db.Model):
    """One row per person: the exact unread count shown in the header (one primary-key read)."""

    __tablename__ = "notification_state"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    unread_notification_count: Mapped[int] = mapped_column(default=0, server_default="0")


class NotificationPreference(db.Model):
    """How a person wants to be emailed about one kind; no row means the kind's default."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(kind_column())
    frequency: Mapped[NotificationFrequency] = mapped_column(enum_column(NotificationFrequency))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Follow(db.Model):
    """A person follows exactly one thing; each kind of thing has its own foreign key."""

    __tablename__ = "follow"
    __table_args__ = (
        CheckConstraint(exactly_one_sql(TARGET_COLUMNS), name="one_target"),
        UniqueConstraint("user_id", "department_id"),
        UniqueConstraint("user_id", "proposal_id"),
        UniqueConstraint("user_id", "meeting_id"),
        UniqueConstraint("user_id", "consultation_id"),
        Index("ix_follow_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), index=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True
    )

    user: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()
    proposal: Mapped[Proposal | None] = relationship()
    meeting: Mapped[Meeting | None] = relationship()
    consultation: Mapped[Consultation | None] = relationship()


# ---- targets known today ------------------------------------------------------------------


def _department_link(department: Department) -> tuple[str, dict]:
    # No public department page exists yet: the list of departments one can follow.
    return "notifications.departments", {"_anchor": f"department-{department.id}"}


register_target(
    Department,
    "department_id",
    name=lambda d, locale: d.name_for(locale),
    link=_department_link,
    label=_l("department"),
)
