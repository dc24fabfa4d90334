"""Helpers for the comments tests: a frozen clock, consultations in each state (and one kept
open after closing), sections, proposals, meetings and comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from civic.comments import services
from civic.comments.models import DiscussionSettings
from civic.comments.targets import make_target
from civic.consultations.models import (
    Consultation,
    ConsultationSection,
    ConsultationState,
    ConsultationTranslation,
)
from civic.extensions import db
from civic.meetings.models import Meeting, MeetingState, MeetingTranslation, MeetingType
from civic.proposals.models import Proposal, ProposalState

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

#: (stored state, opens_at, closes_at, keep discussion open) around NOW.
STATES = {
    "draft": (ConsultationState.DRAFT, None, None, False),
    "open": (ConsultationState.OPEN, NOW - timedelta(days=5), NOW + timedelta(days=25), False),
    "closed": (ConsultationState.CLOSED, NOW - timedelta(days=40), NOW - timedelta(days=2), False),
    "kept-open": (ConsultationState.CLOSED, NOW - timedelta(days=40), NOW - timedelta(days=2), True),
}


@pytest.fixture(autouse=True)
def clock():
    """Every comments test runs at NOW (``clock.move_to(...)`` moves it)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_consultation(department, state: str = "open", *, title: str = "Cycle lanes on the river bank",
                      locale: str = "en", creator=None) -> Consultation:
    stored, opens, closes, keep = STATES[state]
    c = Consultation(
        department_id=department.id,
        state=stored,
        opens_at=opens,
        closes_at=closes,
        timezone="Europe/Paris",
        default_locale=locale,
        creator_id=creator.id if creator is not None else None,
    )
    c.translations = [ConsultationTranslation(locale=locale, title=title, summary="Where should they go?")]
    db.session.add(c)
    db.session.flush()
    if keep:
        db.session.add(DiscussionSettings(consultation_id=c.id, keep_open_after_close=True))
    db.session.commit()
    return c


def make_section(consultation, number: int = 1, title: str = "Article 1", body: str = "<p>The text.</p>"):
    s = ConsultationSection(
        consultation_id=consultation.id,
        position=number,
        number=number,
        translations={consultation.default_locale: {"title": title, "body": body}},
        comment_count=0,
    )
    db.session.add(s)
    db.session.commit()
    return s


def make_proposal(consultation, author, *, state: ProposalState = ProposalState.PUBLISHED,
                  title: str = "More trees on Rue Haute") -> Proposal:
    p = Proposal(
        consultation_id=consultation.id,
        author_id=author.id if author is not None else None,
        state=state,
        title=title,
        body="Plant lime trees.",
        language="en",
        support_count=0,
        comment_count=0,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        published_at=None if state == ProposalState.DRAFT else NOW - timedelta(days=1),
    )
    db.session.add(p)
    db.session.commit()
    return p


def make_meeting(department, *, starts_in: timedelta = timedelta(days=3), hours: int = 2,
                 state: MeetingState = MeetingState.SCHEDULED, creator=None, consultation=None) -> Meeting:
    starts = NOW + starts_in
    m = Meeting(
        department_id=department.id,
        consultation_id=consultation.id if consultation is not None else None,
        type=MeetingType.IN_PERSON,
        state=state,
        starts_at=starts,
        ends_at=starts + timedelta(hours=hours),
        timezone="Europe/Paris",
        address="Town hall, room 2",
        default_locale="en",
        creator_id=creator.id if creator is not None else None,
    )
    m.translations = [MeetingTranslation(locale="en", title="Neighbourhood assembly", description="Come and talk.")]
    db.session.add(m)
    db.session.commit()
    return m


def target(kind: str, obj):
    return make_target(kind, obj)


def post(author, kind_or_target, obj=None, body: str = "A thoughtful remark.", *, parent=None,
         position=None, language: str = "en", choices=None, commit: bool = True):
    """Post a comment through the service (and commit, like a view)."""
    t = kind_or_target if obj is None else make_target(kind_or_target, obj)
    comment = services.post_comment(
        author, t, body, language=language, position=position, parent=parent, mention_choices=choices
    )
    if commit:
        db.session.commit()
    return comment
