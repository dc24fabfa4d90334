"""Moderation: reports, the queue of cases, decisions, appeals, settings and the audit log.

What is reported or moderated is said with real foreign keys, one nullable column per kind of
item (``comment_id``, ``proposal_id``, ``meeting_id``, ``reported_user_id``) and a CHECK that
exactly one is set; never a generic (type, id) pair.

* ``ModerationReport`` — one person reports one item once (unique per reporter and item).
* ``ModerationCase`` — an entry of the moderators' queue: the reports of one item, or one held
  new item (pre-moderation, word list). At most one *open* case per item (partial unique
  indexes). It carries the decision and its statement of reasons.
* ``ModerationAppeal`` — the author's one appeal against a decision, decided by a different
  moderator; that second decision is final.
* ``ModerationLogEntry`` — the append-only audit log. It has no foreign keys on purpose: a
  record must outlive the people and items it describes, and ``ON DELETE SET NULL`` would be
  an UPDATE. Updates and deletes are refused by ORM listeners (below) and, on PostgreSQL, by
  a trigger created in the migration.
* ``ModerationSettings`` (one row), ``ConsultationModeration`` (pre-moderation per
  consultation) and ``ModerationWord`` (the word list) are edited by administrators and
  moderators.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from civic.accounts.models import User
from civic.core.enums import LabelledEnum, enum_column
from civic.core.time import utcnow
from civic.extensions import db

#: The columns naming what a report or a case is about (exactly one is set).
ITEM_COLUMNS = ("comment_id", "proposal_id", "meeting_id", "reported_user_id")
#: Kind of item → its column.
KIND_COLUMNS = {
    "comment": "comment_id",
    "proposal": "proposal_id",
    "meeting": "meeting_id",
    "user": "reported_user_id",
}
KINDS = tuple(KIND_COLUMNS)

DETAILS_MAX = 1000
REASON_MAX = 1000
APPEAL_MAX = 2000
WARNING_MAX = 1000
PHRASE_MAX = 100


def exactly_one_sql(columns=ITEM_COLUMNS) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


# ---- enums --------------------------------------------------------------------------------


class ContentKind(LabelledEnum):
    COMMENT = "comment"
    PROPOSAL = "proposal"
    MEETING = "meeting"
    USER = "user"

    @classmethod
    def _labels(cls):
        return {
            "comment": _l("Comment"),
            "proposal": _l("Proposal"),
            "meeting": _l("Meeting description"),
            "user": _l("Profile"),
        }


class ReportReason(LabelledEnum):
    SPAM = "spam"
    OFFENSIVE_OR_HATEFUL = "offensive_or_hateful"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    MISINFORMATION = "misinformation"
    OTHER = "other"

    @classmethod
    def _labels(cls):
        return {
            "spam": _l("Spam or advertising"),
            "offensive_or_hateful": _l("Offensive or hateful"),
            "off_topic": _l("Off topic"),
            "personal_data": _l("Reveals someone's personal data"),
            "misinformation": _l("Misinformation"),
            "other": _l("Something else (say what)"),
        }


class CommunityRule(LabelledEnum):
    """The community rules (public page); a moderation decision names the one broken."""

    RESPECT = "respect"
    NO_SPAM = "no_spam"
    ON_TOPIC = "on_topic"
    PRIVACY = "privacy"
    HONESTY = "honesty"
    LAW = "law"

    @classmethod
    def _labels(cls):
        return {
            "respect": _l("Respect people"),
            "no_spam": _l("No spam or advertising"),
            "on_topic": _l("Stay on topic"),
            "privacy": _l("Protect everyone's privacy"),
            "honesty": _l("Do not spread false information"),
            "law": _l("Respect the law"),
        }

    @classmethod
    def _descriptions(cls):
        return {
            "respect": _l(
                "Criticise ideas, not people. No insults, harassment, threats, or hatred "
                "against anyone because of who they are: origin, religion, gender, sexual "
                "orientation, disability, age or any other part of their identity."
            ),
            "no_spam": _l(
                "No advertising, no promotion of businesses or products, no repeated or "
                "automated messages, no links that have nothing to do with the discussion."
            ),
            "on_topic": _l(
                "Write about the consultation, proposal or meeting you are on. Other subjects "
                "have their own place."
            ),
            "privacy": _l(
                "Do not publish anyone's address, phone number, email, health or other "
                "personal details, nor pictures of people who did not agree to it."
            ),
            "honesty": _l(
                "Do not knowingly publish false facts. Say where figures come from; the city "
                "answers questions of fact in its official answers."
            ),
            "law": _l(
                "Nothing illegal: no defamation, no incitement to violence or discrimination, "
                "no breach of copyright."
            ),
        }

    @property
    def description(self) -> str:
        return str(self._descriptions().get(self.value, ""))


#: The rule a report's reason usually points to (preselected for the moderator).
REASON_RULES = {
    ReportReason.SPAM: CommunityRule.NO_SPAM,
    ReportReason.OFFENSIVE_OR_HATEFUL: CommunityRule.RESPECT,
    ReportReason.OFF_TOPIC: CommunityRule.ON_TOPIC,
    ReportReason.PERSONAL_DATA: CommunityRule.PRIVACY,
    ReportReason.MISINFORMATION: CommunityRule.HONESTY,
}


class CaseState(LabelledEnum):
    PENDING = "pending"  # waiting for a moderator's decision
    DECIDED = "decided"  # decided; the author may still appeal a hidden item
    APPEALED = "appealed"  # the author appealed: waiting for a different moderator
    CLOSED = "closed"  # the appeal was decided: final

    @classmethod
    def _labels(cls):
        return {
            "pending": _l("Waiting for a decision"),
            "decided": _l("Decided"),
            "appealed": _l("Appealed"),
            "closed": _l("Appeal decided (final)"),
        }


#: Cases that still need a moderator.
OPEN_STATES = (CaseState.PENDING, CaseState.APPEALED)
DECIDED_STATES = (CaseState.DECIDED, CaseState.CLOSED)


class CaseOrigin(LabelledEnum):
    """Why the item entered the queue."""

    REPORTS = "reports"
    PREMODERATION = "premoderation"
    WORD_LIST = "word_list"

    @classmethod
    def _labels(cls):
        return {
            "reports": _l("Reported by people"),
            "premoderation": _l("Pre-moderation of the consultation"),
            "word_list": _l("Matches the list of watched words"),
        }


class ModerationAction(LabelledEnum):
    """Everything the audit log records; the first group are decisions on queue entries."""

    HIDE = "hide"
    RESTORE = "restore"
    DISMISS = "dismiss"
    APPROVE = "approve"
    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"
    HOLD = "hold"  # held automatically (reports threshold, pre-moderation, word list)
    REPORT = "report"
    APPEAL = "appeal"
    APPEAL_UPHELD = "appeal_upheld"
    APPEAL_REJECTED = "appeal_rejected"
    PREMODERATION_CHANGED = "premoderation_changed"
    WORD_ADDED = "word_added"
    WORD_REMOVED = "word_removed"
    SETTINGS_CHANGED = "settings_changed"

    @classmethod
    def _labels(cls):
        return {
            "hide": _l("Hidden"),
            "restore": _l("Restored"),
            "dismiss": _l("Reports dismissed"),
            "approve": _l("Approved"),
            "warn": _l("Author warned"),
            "suspend": _l("Account suspended"),
            "ban": _l("Account banned"),
            "hold": _l("Held automatically for review"),
            "report": _l("Reported"),
            "appeal": _l("Appealed by the author"),
            "appeal_upheld": _l("Appeal upheld (decision reversed)"),
            "appeal_rejected": _l("Appeal rejected (decision confirmed)"),
            "premoderation_changed": _l("Pre-moderation changed"),
            "word_added": _l("Watched word added"),
            "word_removed": _l("Watched word removed"),
            "settings_changed": _l("Moderation settings changed"),
        }


#: Actions a moderator chooses in the queue, in the order offered.
QUEUE_ACTIONS = (
    ModerationAction.HIDE,
    ModerationAction.RESTORE,
    ModerationAction.DISMISS,
    ModerationAction.APPROVE,
    ModerationAction.WARN,
    ModerationAction.SUSPEND,
    ModerationAction.BAN,
)
#: Actions counted by type in the transparency report.
DECISION_ACTIONS = (
    *QUEUE_ACTIONS,
    ModerationAction.HOLD,
    ModerationAction.APPEAL_UPHELD,
    ModerationAction.APPEAL_REJECTED,
)


class AppealState(LabelledEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the appeal succeeded: the item is visible again
    REJECTED = "rejected"  # the decision stands

    @classmethod
    def _labels(cls):
        return {
            "pending": _l("Waiting for a second moderator"),
            "upheld": _l("Upheld: the decision was reversed"),
            "rejected": _l("Rejected: the decision stands"),
        }


class PremoderationMode(LabelledEnum):
    OFF = "off"
    ALL = "all"
    PROPOSALS = "proposals"
    COMMENTS = "comments"

    @classmethod
    def _labels(cls):
        return {
            "off": _l("Off: new comments and proposals are published at once"),
            "all": _l("Every new comment and proposal waits for a moderator"),
            "proposals": _l("New proposals wait for a moderator; comments are published at once"),
            "comments": _l("New comments wait for a moderator; proposals are published at once"),
        }

    def holds(self, kind: str) -> bool:
        if self == PremoderationMode.ALL:
            return kind in ("comment", "proposal")
        if self == PremoderationMode.PROPOSALS:
            return kind == "proposal"
        if self == PremoderationMode.COMMENTS:
            return kind == "comment"
        return False


# ---- tables -------------------------------------------------------------------------------


def _open_case_index(column: str) -> Index:
    """At most one open case per item."""
    where = text("state IN ('pending', 'appealed')")
    return Index(
        f"uq_moderation_case_open_{column}",
        column,
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class ModerationCase(db.Model):
    __tablename__ = "moderation_case"
    __table_args__ = (
        CheckConstraint(exactly_one_sql(), name="one_item"),
        CheckConstraint("report_count >= 0", name="report_count_not_negative"),
        _open_case_index("comment_id"),
        _open_case_index("proposal_id"),
        _open_case_index("meeting_id"),
        _open_case_index("reported_user_id"),
        # The queue: state, then most reported and oldest first.
        Index("ix_moderation_case_state_reports_created", "state", "report_count", "created_at"),
        Index("ix_moderation_case_department_state", "department_id", "state", "report_count"),
        Index("ix_moderation_case_consultation_state", "consultation_id", "state"),
        Index("ix_moderation_case_author_decided", "author_id", "decided_at"),
        Index("ix_moderation_case_decided_at", "decided_at"),
        Index("ix_moderation_case_comment", "comment_id"),
        Index("ix_moderation_case_proposal", "proposal_id"),
        Index("ix_moderation_case_meeting", "meeting_id"),
        Index("ix_moderation_case_reported_user", "reported_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    reported_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: Where the item lives (filters and the department staff's scope); None for profiles.
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="SET NULL")
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL")
    )
    #: Whose content it is (the reported person for a profile): may never moderate it.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    origin: Mapped[CaseOrigin] = mapped_column(enum_column(CaseOrigin), default=CaseOrigin.REPORTS)
    state: Mapped[CaseState] = mapped_column(enum_column(CaseState), default=CaseState.PENDING)
    #: Reports counted in this case (stored, changed with SQL expressions).
    report_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_report_at: Mapped[datetime | None]
    # ---- the decision and its statement of reasons
    decision: Mapped[ModerationAction | None] = mapped_column(
        enum_column(ModerationAction, name="moderationcasedecision")
    )
    decision_reason: Mapped[str | None] = mapped_column(Text)
    decision_rule: Mapped[CommunityRule | None] = mapped_column(enum_column(CommunityRule))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise")
    appeal: Mapped[ModerationAppeal | None] = relationship(
        back_populates="case", lazy="raise", uselist=False
    )

    @property
    def kind(self) -> str:
        for kind, column in KIND_COLUMNS.items():
            if getattr(self, column) is not None:
                return kind
        raise LookupError(f"case {self.id} names no item")  # pragma: no cover - CHECK

    @property
    def content_kind(self) -> ContentKind:
        return ContentKind(self.kind)

    @property
    def item_id(self) -> int:
        return getattr(self, KIND_COLUMNS[self.kind])

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def __repr__(self) -> str:
        return f"<ModerationCase {self.id} {self.kind}:{self.item_id} {self.state}>"


class ModerationReport(db.Model):
    __tablename__ = "moderation_report"
    __table_args__ = (
        CheckConstraint(exactly_one_sql(), name="one_item"),
        CheckConstraint("reason <> 'other' OR length(details) > 0", name="other_has_details"),
        UniqueConstraint("reporter_id", "comment_id"),
        UniqueConstraint("reporter_id", "proposal_id"),
        UniqueConstraint("reporter_id", "meeting_id"),
        UniqueConstraint("reporter_id", "reported_user_id"),
        Index("ix_moderation_report_case_reason", "case_id", "reason"),
        Index("ix_moderation_report_created", "created_at"),
        Index("ix_moderation_report_comment", "comment_id"),
        Index("ix_moderation_report_proposal", "proposal_id"),
        Index("ix_moderation_report_meeting", "meeting_id"),
        Index("ix_moderation_report_reported_user", "reported_user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("moderation_case.id", ondelete="CASCADE"))
    #: Kept nullable: a deleted account's reports still count in the statistics.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    reported_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[ReportReason] = mapped_column(enum_column(ReportReason))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    case: Mapped[ModerationCase] = relationship(lazy="raise")
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id], lazy="raise")


class ModerationAppeal(db.Model):
    __tablename__ = "moderation_appeal"
    __table_args__ = (
        Index("ix_moderation_appeal_state_created", "state", "created_at"),
        Index("ix_moderation_appeal_decided_at", "decided_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One appeal per decision (unique).
    case_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_case.id", ondelete="CASCADE"), unique=True
    )
    appellant_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[AppealState] = mapped_column(enum_column(AppealState), default=AppealState.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[ModerationCase] = relationship(back_populates="appeal", lazy="raise")


class ModerationLogEntry(db.Model):
    """One line of the audit log: who did what to which item, when and why. Append-only."""

    __tablename__ = "moderation_log_entry"
    __table_args__ = (
        Index("ix_moderation_log_entry_created", "created_at", "id"),
        Index("ix_moderation_log_entry_action_created", "action", "created_at"),
        Index("ix_moderation_log_entry_actor_created", "actor_id", "created_at"),
        Index("ix_moderation_log_entry_item", "item_kind", "item_id"),
        Index("ix_moderation_log_entry_case", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Who (None: the automatic rules). Plain values, no foreign keys (see module docstring).
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(80), default="")
    action: Mapped[ModerationAction] = mapped_column(
        enum_column(ModerationAction, name="moderationlogaction")
    )
    #: Which item: its kind (comment, proposal, meeting, user, consultation, word, settings).
    item_kind: Mapped[str] = mapped_column(String(20), default="")
    item_id: Mapped[int | None]
    case_id: Mapped[int | None]
    #: Why: the reason given (report details, statement of reasons, appeal text…).
    reason: Mapped[str] = mapped_column(Text, default="")
    #: Plain data: the rule, the report reason, the suspension's end, the old and new value…
    details: Mapped[dict] = mapped_column(JSON, default=dict)


class ModerationSettings(db.Model):
    """Site-wide moderation settings: one row (id 1), edited by administrators."""

    __tablename__ = "moderation_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("report_threshold >= 1", name="threshold_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    #: Reports after which an item is held pending review.
    report_threshold: Mapped[int] = mapped_column(default=3)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )


class ConsultationModeration(db.Model):
    """Pre-moderation of one consultation (no row: off)."""

    __tablename__ = "consultation_moderation"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    premoderation: Mapped[PremoderationMode] = mapped_column(
        enum_column(PremoderationMode), default=PremoderationMode.OFF
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )


class ModerationWord(db.Model):
    """A watched word or phrase: new content containing it is held for review."""

    __tablename__ = "moderation_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: As the administrator typed it.
    phrase: Mapped[str] = mapped_column(String(PHRASE_MAX))
    #: Case- and accent-folded, spaces collapsed (what matching uses); unique.
    normalized: Mapped[str] = mapped_column(String(PHRASE_MAX * 2), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )


# ---- the audit log is append-only -----------------------------------------------------------


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete a line of the moderation log."""


def _refuse_change(mapper, connection, target) -> None:
    raise AppendOnlyError("the moderation log is append-only: entries cannot be changed or deleted")


event.listen(ModerationLogEntry, "before_update", _refuse_change)
event.listen(ModerationLogEntry, "before_delete", _refuse_change)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state) -> None:
    """Bulk UPDATE and DELETE statements run through the session are refused too."""
    if not (state.is_update or state.is_delete):
        return
    for mapper in state.all_mappers:
        if mapper.class_ is ModerationLogEntry:
            raise AppendOnlyError(
                "the moderation log is append-only: entries cannot be changed or deleted"
            )
