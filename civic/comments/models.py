"""Comments: one table serves consultations, their text sections, proposals and meetings.

Where a comment belongs is said with real foreign keys, never a (type, id) pair:

* a comment on a consultation has ``consultation_id``;
* a comment on a section of a consultation's text has ``section_id`` **and** the section's
  ``consultation_id`` (it also belongs to the consultation's discussion);
* a comment on a proposal has ``proposal_id``; on a meeting, ``meeting_id``.

A CHECK keeps exactly one of ``consultation_id``, ``proposal_id``, ``meeting_id`` set, and
``section_id`` only together with ``consultation_id``.

Threads: a top-level comment has ``depth`` 0 and no parent; replies store ``parent_id``,
``root_id`` (the top-level comment) and ``depth`` (at most ``MAX_DEPTH``; a reply to a comment
at that depth is attached beside it, and ``reply_to_id`` remembers whom it answered).

Counters shown on pages are stored and changed with SQL expressions in the same transaction
as the change they count: ``up_count``/``down_count``/``score`` on the comment, the
commented row's own ``comment_count`` (sections, proposals) and ``CommentTally`` (per
consultation, proposal or meeting: comments and positions). They count *visible* comments:
held, hidden and deleted ones keep their place in the thread but are not counted.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.consultations.models import Consultation, ConsultationSection
from civic.core.enums import LabelledEnum, enum_column
from civic.core.time import utcnow
from civic.extensions import db
from civic.meetings.models import Meeting
from civic.proposals.models import Proposal

#: Replies nest up to this depth (0 = top-level comment).
MAX_DEPTH = 3


def _exactly_one(*columns: str) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


class CommentState(LabelledEnum):
    """The life of a comment: its author's choices and moderation's."""

    VISIBLE = "visible"
    HELD = "held"  # waiting for a moderator's review
    HIDDEN = "hidden"  # hidden by moderation, with a reason
    DELETED = "deleted"  # deleted by its author

    @classmethod
    def _labels(cls):
        return {
            "visible": _l("Visible"),
            "held": _l("Held for review"),
            "hidden": _l("Hidden by moderation"),
            "deleted": _l("Deleted by its author"),
        }


class CommentPosition(LabelledEnum):
    """What a top-level comment on a consultation or proposal says about it."""

    IN_FAVOUR = "in_favour"
    AGAINST = "against"
    NEUTRAL = "neutral"

    @classmethod
    def _labels(cls):
        return {"in_favour": _l("In favour"), "against": _l("Against"), "neutral": _l("Neutral")}


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (
        CheckConstraint(_exactly_one("consultation_id", "proposal_id", "meeting_id"), name="one_target"),
        CheckConstraint("section_id IS NULL OR consultation_id IS NOT NULL", name="section_in_consultation"),
        CheckConstraint(f"depth >= 0 AND depth <= {MAX_DEPTH}", name="depth_range"),
        CheckConstraint(
            "(depth = 0 AND parent_id IS NULL AND root_id IS NULL) OR "
            "(depth > 0 AND parent_id IS NOT NULL AND root_id IS NOT NULL)",
            name="thread_shape",
        ),
        CheckConstraint("position IS NULL OR depth = 0", name="position_on_top_level"),
        CheckConstraint("up_count >= 0 AND down_count >= 0", name="votes_not_negative"),
        # Top-level comments of one discussion, in each reading order.
        Index("ix_comment_consultation_roots_created", "consultation_id", "depth", "created_at", "id"),
        Index("ix_comment_consultation_roots_score", "consultation_id", "depth", "score", "created_at", "id"),
        Index("ix_comment_section_roots_created", "section_id", "depth", "created_at", "id"),
        Index("ix_comment_section_roots_score", "section_id", "depth", "score", "created_at", "id"),
        Index("ix_comment_proposal_roots_created", "proposal_id", "depth", "created_at", "id"),
        Index("ix_comment_proposal_roots_score", "proposal_id", "depth", "score", "created_at", "id"),
        Index("ix_comment_meeting_roots_created", "meeting_id", "depth", "created_at", "id"),
        Index("ix_comment_meeting_roots_score", "meeting_id", "depth", "score", "created_at", "id"),
        # Every reply of the page's threads in one query.
        Index("ix_comment_root_created", "root_id", "created_at", "id"),
        Index("ix_comment_author_created", "author_id", "created_at"),
        # The moderation queue (held comments, oldest first).
        Index("ix_comment_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE")
    )
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_section.id", ondelete="CASCADE")
    )
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    #: The comment this one answers when it was attached beside it (depth capped).
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: Kept nullable: a deleted account leaves its comments behind, unsigned.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Plain text with a small Markdown subset (rendered by civic.core.sanitize.markdown_text).
    body: Mapped[str] = mapped_column(Text)
    #: Language the comment is written in (the page's language when its author did not say).
    language: Mapped[str] = mapped_column(String(10), default="en")
    position: Mapped[CommentPosition | None] = mapped_column(enum_column(CommentPosition))
    state: Mapped[CommentState] = mapped_column(
        enum_column(CommentState), default=CommentState.VISIBLE
    )
    #: Why a moderator held or hid the comment (shown in its place when hidden).
    moderation_reason: Mapped[str | None] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    moderated_at: Mapped[datetime | None]
    up_count: Mapped[int] = mapped_column(default=0)
    down_count: Mapped[int] = mapped_column(default=0)
    #: ``up_count - down_count``, stored for the "most upvoted" order (indexed).
    score: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")
    consultation: Mapped[Consultation | None] = relationship(lazy="raise")
    section: Mapped[ConsultationSection | None] = relationship(lazy="raise")
    proposal: Mapped[Proposal | None] = relationship(lazy="raise")
    meeting: Mapped[Meeting | None] = relationship(lazy="raise")

    @property
    def thread_root_id(self) -> int:
        return self.root_id or self.id

    @property
    def is_visible(self) -> bool:
        return self.state == CommentState.VISIBLE

    @property
    def is_deleted(self) -> bool:
        return self.state == CommentState.DELETED

    @property
    def is_hidden(self) -> bool:
        return self.state == CommentState.HIDDEN

    @property
    def is_held(self) -> bool:
        return self.state == CommentState.HELD

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.state} depth={self.depth}>"


class CommentVote(db.Model):
    """One person's vote on one comment: +1 (up) or -1 (down); changing it updates the row."""

    __tablename__ = "comment_vote"
    __table_args__ = (
        UniqueConstraint("comment_id", "user_id"),
        CheckConstraint("value IN (-1, 1)", name="value_up_or_down"),
        Index("ix_comment_vote_user_comment", "user_id", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentRevision(db.Model):
    """An earlier version of an edited comment (for moderators)."""

    __tablename__ = "comment_revision"
    __table_args__ = (Index("ix_comment_revision_comment_replaced", "comment_id", "replaced_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10))
    position: Mapped[CommentPosition | None] = mapped_column(
        enum_column(CommentPosition, name="commentrevisionposition")
    )
    #: When this version was written (the comment's creation or an earlier edit).
    written_at: Mapped[datetime]
    #: When an edit replaced it, and by whom.
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)
    editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )


class CommentMention(db.Model):
    """A person a comment mentions: a stable reference (the name is kept as it was written)."""

    __tablename__ = "comment_mention"

    comment_id: Mapped[int] = mapped_column(
        ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    #: The name after the ``@`` as it appears in the text (rendered as a link to the profile).
    name: Mapped[str] = mapped_column(String(80))


class CommentTally(db.Model):
    """Stored counters of one discussion: a consultation (its sections included), a proposal
    or a meeting. Created on the first comment; changed with SQL expressions only."""

    __tablename__ = "comment_tally"
    __table_args__ = (
        CheckConstraint(_exactly_one("consultation_id", "proposal_id", "meeting_id"), name="one_target"),
        CheckConstraint(
            "comment_count >= 0 AND in_favour_count >= 0 AND against_count >= 0 AND neutral_count >= 0",
            name="not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), unique=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True
    )
    meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    #: Visible comments (for a consultation: on it and on its sections).
    comment_count: Mapped[int] = mapped_column(default=0)
    #: Visible top-level comments stating each position (consultations and proposals).
    in_favour_count: Mapped[int] = mapped_column(default=0)
    against_count: Mapped[int] = mapped_column(default=0)
    neutral_count: Mapped[int] = mapped_column(default=0)

    def count_of(self, position: CommentPosition) -> int:
        return getattr(self, POSITION_COLUMNS[position])


POSITION_COLUMNS = {
    CommentPosition.IN_FAVOUR: "in_favour_count",
    CommentPosition.AGAINST: "against_count",
    CommentPosition.NEUTRAL: "neutral_count",
}


class DiscussionSettings(db.Model):
    """Per-consultation discussion settings (no row: the defaults)."""

    __tablename__ = "discussion_settings"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    #: Comments stay open after the consultation closes (its proposals' discussions too).
    keep_open_after_close: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
