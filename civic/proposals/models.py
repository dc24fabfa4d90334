"""Proposals: ideas residents submit in a consultation, support, and the city answers.

One state enum (``ProposalState``) covers the whole life of a proposal, drafts included.
Counters shown on pages (``support_count``, ``comment_count``, the consultation's
``published_count``) are stored and kept exact with SQL expressions by the services.
"""

from __future__ import annotations

import random
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.consultations.models import Area, Consultation, Localized, Topic
from civic.core.enums import LabelledEnum, enum_column
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.states import ModerationState


class ProposalState(LabelledEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    UNDER_EVALUATION = "under_evaluation"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IMPLEMENTED = "implemented"
    WITHDRAWN = "withdrawn"

    @classmethod
    def _labels(cls):
        return {
            "draft": _l("Draft"),
            "published": _l("Published"),
            "under_evaluation": _l("Under evaluation"),
            "accepted": _l("Accepted"),
            "rejected": _l("Not accepted"),
            "implemented": _l("Implemented"),
            "withdrawn": _l("Withdrawn by its author"),
        }

    @property
    def is_public(self) -> bool:
        return self != ProposalState.DRAFT

    @property
    def is_decided(self) -> bool:
        return self in DECIDED_STATES


#: Every state but draft: what listings show.
PUBLIC_STATES = tuple(s for s in ProposalState if s != ProposalState.DRAFT)
#: States in which people may still support (or take back their support).
SUPPORTABLE_STATES = (ProposalState.PUBLISHED, ProposalState.UNDER_EVALUATION)
#: States with an official decision.
DECIDED_STATES = (ProposalState.ACCEPTED, ProposalState.REJECTED, ProposalState.IMPLEMENTED)
#: Where staff may move a proposal from each state (always with a public answer).
TRANSITIONS: dict[ProposalState, tuple[ProposalState, ...]] = {
    ProposalState.PUBLISHED: (
        ProposalState.UNDER_EVALUATION,
        ProposalState.ACCEPTED,
        ProposalState.REJECTED,
    ),
    ProposalState.UNDER_EVALUATION: (ProposalState.ACCEPTED, ProposalState.REJECTED),
    ProposalState.ACCEPTED: (ProposalState.IMPLEMENTED, ProposalState.REJECTED),
    ProposalState.REJECTED: (ProposalState.UNDER_EVALUATION,),
    ProposalState.IMPLEMENTED: (),
    ProposalState.WITHDRAWN: (),
    ProposalState.DRAFT: (),
}

#: Stored random keys lie in [0, SHUFFLE_SPACE) (a prime, see services.RANDOM_PRIME).
SHUFFLE_SPACE = 2_147_483_647


def new_shuffle_key() -> int:
    """A proposal's place in the stored random order (big listings page through it by index)."""
    return random.randrange(SHUFFLE_SPACE)  # noqa: S311 - an order, not a secret


TITLE_MAX = 150
PLACE_MAX = 200
ALT_MAX = 300


def search_vector_sql(prefix: str = "") -> str:
    """The PostgreSQL full-text expression of a proposal (title and body, 'simple' config).

    Written exactly as PostgreSQL reflects the index expression, so autogenerate compares
    equal; queries use the same expression (with the table prefix) so the index is used.
    """
    return (
        f"to_tsvector('simple'::regconfig, (COALESCE({prefix}title, ''::character varying)::text "
        f"|| ' '::text) || COALESCE({prefix}body, ''::text))"
    )


class ProposalSettings(db.Model):
    """Per-consultation proposal settings, created with the defaults on first use."""

    __tablename__ = "proposal_settings"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True
    )
    #: Residents may submit proposals while the consultation is open.
    accepts_proposals: Mapped[bool] = mapped_column(default=False)
    #: Only residents verified by the city may support proposals.
    verified_only: Mapped[bool] = mapped_column(default=False)
    #: How many proposals one person may support in this consultation (None: no limit).
    max_supports: Mapped[int | None]
    #: Supports after which a proposal qualifies for an official answer (None: no threshold).
    support_threshold: Mapped[int | None]
    #: Published (non-draft) proposals of the consultation, kept exact by the services.
    published_count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Proposal(db.Model):
    __tablename__ = "proposal"
    __table_args__ = (
        Index("ix_proposal_consultation_state_support", "consultation_id", "state", "support_count"),
        Index("ix_proposal_consultation_state_published", "consultation_id", "state", "published_at"),
        Index("ix_proposal_consultation_published", "consultation_id", "published_at"),
        Index("ix_proposal_consultation_support", "consultation_id", "support_count"),
        Index("ix_proposal_consultation_comments", "consultation_id", "comment_count"),
        Index("ix_proposal_consultation_topic", "consultation_id", "topic_id"),
        Index("ix_proposal_consultation_area", "consultation_id", "area_id"),
        Index("ix_proposal_state_published", "state", "published_at"),
        Index("ix_proposal_state_support", "state", "support_count"),
        Index("ix_proposal_state_comments", "state", "comment_count"),
        Index("ix_proposal_author_state_created", "author_id", "state", "created_at"),
        # The random order of big listings: index-only range scans (services.listing_page).
        Index("ix_proposal_consultation_shuffle", "consultation_id", "shuffle_key", "id", "state", "moderation_state"),
        Index("ix_proposal_shuffle", "shuffle_key", "id", "state", "moderation_state", "consultation_id"),
        Index("ix_proposal_search", text(search_vector_sql()), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    #: Kept nullable: a deleted account leaves its proposals behind, unsigned.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    state: Mapped[ProposalState] = mapped_column(
        enum_column(ProposalState), default=ProposalState.DRAFT
    )
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    #: A small Markdown subset (civic.core.sanitize.markdown_text when shown).
    body: Mapped[str] = mapped_column(Text, default="")
    topic_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_topic.id", ondelete="SET NULL"), index=True
    )
    area_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_area.id", ondelete="SET NULL"), index=True
    )
    #: Where, in the author's words ("corner of Rue Haute and the market square").
    place: Mapped[str] = mapped_column(String(PLACE_MAX), default="")
    #: Language the title and body are written in.
    language: Mapped[str] = mapped_column(String(10), default="en")
    #: Random name on disk (never the uploader's name); type checked by content.
    image_name: Mapped[str | None] = mapped_column(String(80))
    image_content_type: Mapped[str | None] = mapped_column(String(40))
    #: Text alternative of the image, in the proposal's language (required with an image).
    image_alt: Mapped[str | None] = mapped_column(String(ALT_MAX))
    support_count: Mapped[int] = mapped_column(default=0, index=True)
    #: Kept exact by the comments capability.
    comment_count: Mapped[int] = mapped_column(default=0, index=True)
    #: Random, set once: the order of listings too big to shuffle per visitor (rotated from
    #: each visitor's own starting point, see services.listing_page).
    shuffle_key: Mapped[int] = mapped_column(default=new_shuffle_key)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(index=True)
    #: When the state last changed after publication (answer or withdrawal).
    state_changed_at: Mapped[datetime | None]
    #: Moderation (civic.moderation), separate from the state above: held or hidden items
    #: are not listed; a hidden one keeps its place with the moderators' reason.
    moderation_state: Mapped[ModerationState] = mapped_column(
        enum_column(ModerationState, name="proposalmoderationstate"),
        default=ModerationState.VISIBLE,
        server_default=ModerationState.VISIBLE.value,
        index=True,
    )

    consultation: Mapped[Consultation] = relationship(lazy="raise")
    author: Mapped[User | None] = relationship(lazy="raise")
    topic: Mapped[Topic | None] = relationship(lazy="raise")
    area: Mapped[Area | None] = relationship(lazy="raise")
    answers: Mapped[list[ProposalAnswer]] = relationship(
        back_populates="proposal",
        cascade="all, delete-orphan",
        lazy="raise",
        order_by="(ProposalAnswer.created_at.desc(), ProposalAnswer.id.desc())",
    )

    @property
    def is_draft(self) -> bool:
        return self.state == ProposalState.DRAFT

    @property
    def is_withdrawn(self) -> bool:
        return self.state == ProposalState.WITHDRAWN

    @property
    def last_changed_at(self) -> datetime:
        """The latest of creation, publication, edit and change of state."""
        moments = [self.created_at, self.updated_at, self.published_at, self.state_changed_at]
        return max(m for m in moments if m is not None)

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.state}>"


class Support(db.Model):
    """One person supports one proposal (at most once: unique constraint)."""

    __tablename__ = "proposal_support"
    __table_args__ = (
        UniqueConstraint("proposal_id", "user_id"),
        Index("ix_proposal_support_user_proposal", "user_id", "proposal_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SupportBudget(db.Model):
    """How many supports one person has used in one consultation (row-locked when spent)."""

    __tablename__ = "proposal_support_budget"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    used: Mapped[int] = mapped_column(default=0)


class ProposalAnswer(db.Model):
    """An official answer: the department moved the proposal to ``state`` and said why."""

    __tablename__ = "proposal_answer"
    __table_args__ = (Index("ix_proposal_answer_proposal_created", "proposal_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    state: Mapped[ProposalState] = mapped_column(enum_column(ProposalState, name="proposalanswerstate"))
    previous_state: Mapped[ProposalState] = mapped_column(
        enum_column(ProposalState, name="proposalanswerprevious")
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship(back_populates="answers")
    texts: Mapped[list[ProposalAnswerText]] = relationship(
        back_populates="answer",
        cascade="all, delete-orphan",
        lazy="selectin",
        order_by="ProposalAnswerText.locale",
    )

    def text_for(self, locale: str, default_locale: str) -> Localized:
        """The answer in the reader's language, else the default one, else any (see ``lang``)."""
        by_locale = {t.locale: t.body for t in self.texts if t.body}
        for code in (locale, default_locale, *by_locale.keys()):
            if by_locale.get(code):
                return Localized(by_locale[code], code, code != locale)
        return Localized("", locale, False)


class ProposalAnswerText(db.Model):
    """The answer's public text in one language."""

    __tablename__ = "proposal_answer_text"
    __table_args__ = (UniqueConstraint("answer_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("proposal_answer.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)

    answer: Mapped[ProposalAnswer] = relationship(back_populates="texts")


# ---- followed and notified about ----------------------------------------------------------


def _register_target() -> None:
    from civic.notifications.targets import register_target

    register_target(
        Proposal,
        "proposal_id",
        name=lambda p, locale: (p.title, p.language),
        link=lambda p: ("proposals.view", {"proposal_id": p.id}),
        label=_l("proposal"),
    )


_register_target()
