"""What a discussion is about: a consultation, one section of its text, a proposal or a meeting.

``Target`` wraps the commented object and knows everything the comments need from it: the
filter selecting its comments, the columns a new comment gets, its page, its title, whether
positions are asked for, and which stored counters change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.comments.models import Comment
from civic.consultations.models import Consultation, ConsultationSection
from civic.extensions import db
from civic.meetings.models import Meeting
from civic.proposals.models import Proposal

KINDS = ("consultation", "section", "proposal", "meeting")
#: URL segment → kind (``/discussions/proposals/3/comments``).
URL_KINDS = {"consultations": "consultation", "sections": "section", "proposals": "proposal", "meetings": "meeting"}


@dataclass(frozen=True)
class Target:
    kind: str
    obj: Any
    #: The consultation the discussion belongs to (consultations, sections, proposals).
    consultation: Consultation | None = None

    @property
    def id(self) -> int:
        return self.obj.id

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.obj.id}"

    @property
    def url_segment(self) -> str:
        return self.kind + "s"

    # ---- comments ------------------------------------------------------------------------

    @property
    def column(self):
        """The comment column this discussion is selected by."""
        return {
            "consultation": Comment.consultation_id,
            "section": Comment.section_id,
            "proposal": Comment.proposal_id,
            "meeting": Comment.meeting_id,
        }[self.kind]

    def where(self):
        return self.column == self.obj.id

    def values(self) -> dict[str, int | None]:
        """Columns of a new top-level comment."""
        if self.kind == "consultation":
            return {"consultation_id": self.obj.id}
        if self.kind == "section":
            return {"consultation_id": self.obj.consultation_id, "section_id": self.obj.id}
        if self.kind == "proposal":
            return {"proposal_id": self.obj.id}
        return {"meeting_id": self.obj.id}

    @property
    def positions_enabled(self) -> bool:
        """Top-level comments on consultations and proposals may state a position."""
        return self.kind in ("consultation", "proposal")

    @property
    def tally_key(self) -> tuple[str, int]:
        """(CommentTally column, id): sections count in their consultation's tally."""
        if self.kind in ("consultation", "section"):
            return "consultation_id", self.consultation.id
        return f"{self.kind}_id", self.obj.id

    # ---- pages ---------------------------------------------------------------------------

    def page_url(self, anchor: str | None = "comments", **args) -> str:
        """The page showing this discussion, with query arguments (None values dropped)."""
        if self.kind == "consultation":
            base = url_for("consultations.detail", consultation_id=self.obj.id)
        elif self.kind == "section":
            base = url_for("comments.section", section_id=self.obj.id)
        elif self.kind == "proposal":
            base = url_for("proposals.view", proposal_id=self.obj.id)
        else:
            base = url_for("meetings.show", meeting_id=self.obj.id)
        query = urlencode({k: v for k, v in args.items() if v is not None})
        return base + (f"?{query}" if query else "") + (f"#{anchor}" if anchor else "")

    def post_url(self) -> str:
        return url_for("comments.create", kind=self.url_segment, target_id=self.obj.id)

    def title(self, locale: str) -> tuple[str, str]:
        """(title, language of that title)."""
        if self.kind == "consultation":
            t = self.obj.title_for(locale)
            return t.text, t.lang
        if self.kind == "section":
            default = self.consultation.default_locale if self.consultation else locale
            title, _body, lang = self.obj.text_for(locale, default)
            return title, lang
        if self.kind == "proposal":
            return self.obj.title, self.obj.language
        t = self.obj.title_for(locale)
        return t.text, t.lang

    @property
    def author_id(self) -> int | None:
        """Who is told about new comments as the item's author."""
        if self.kind == "proposal":
            return self.obj.author_id
        if self.kind == "section":
            return self.consultation.creator_id if self.consultation else None
        return getattr(self.obj, "creator_id", None)


def _consultation(consultation_id: int | None) -> Consultation | None:
    if consultation_id is None:
        return None
    return db.session.get(Consultation, consultation_id)


def make_target(kind: str, obj: Any) -> Target:
    """A target for an object already loaded (its consultation comes from the identity map)."""
    if kind == "consultation":
        return Target(kind, obj, obj)
    if kind in ("section", "proposal"):
        return Target(kind, obj, _consultation(obj.consultation_id))
    if kind == "meeting":
        return Target(kind, obj, None)
    raise ValueError(kind)


def load_target(kind: str, target_id: int) -> Target | None:
    """The target of that kind and id, or None when it does not exist."""
    if kind == "consultation":
        obj = db.session.get(Consultation, target_id)
    elif kind == "section":
        obj = db.session.execute(
            select(ConsultationSection)
            .options(joinedload(ConsultationSection.consultation))
            .where(ConsultationSection.id == target_id)
        ).unique().scalar_one_or_none()
    elif kind == "proposal":
        obj = db.session.execute(
            select(Proposal).options(joinedload(Proposal.consultation)).where(Proposal.id == target_id)
        ).unique().scalar_one_or_none()
    elif kind == "meeting":
        obj = db.session.get(Meeting, target_id)
    else:
        return None
    return make_target(kind, obj) if obj is not None else None


def target_of(comment: Comment) -> Target:
    """The narrowest target a comment was written on."""
    if comment.section_id is not None:
        found = load_target("section", comment.section_id)
    elif comment.consultation_id is not None:
        found = load_target("consultation", comment.consultation_id)
    elif comment.proposal_id is not None:
        found = load_target("proposal", comment.proposal_id)
    else:
        found = load_target("meeting", comment.meeting_id)
    if found is None:  # pragma: no cover - foreign keys cascade
        raise LookupError(f"comment {comment.id} has no target")
    return found
