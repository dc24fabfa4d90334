"""Helpers for the moderation tests: a frozen clock, a consultation of ``department`` with a
comment, a proposal and a meeting written by ``author``, and shortcuts to report and act."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from civic.comments import services as comments
from civic.comments.targets import make_target
from civic.consultations.models import Consultation, ConsultationState, ConsultationTranslation
from civic.extensions import db
from civic.meetings.models import Meeting, MeetingTranslation, MeetingType
from civic.moderation import services
from civic.moderation.models import KIND_COLUMNS, ModerationCase
from civic.proposals.models import Proposal, ProposalSettings, ProposalState
from tests import factories

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    """Every moderation test runs at NOW (``clock.move_to(...)`` moves it)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _request_context(request):
    """Services run inside requests (their messages are translated for the reader)."""
    if "app" not in request.fixturenames and "session" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


def make_consultation(department, *, title: str = "Cycle lanes on the river bank") -> Consultation:
    c = Consultation(
        department_id=department.id,
        state=ConsultationState.OPEN,
        opens_at=NOW - timedelta(days=5),
        closes_at=NOW + timedelta(days=25),
        timezone="Europe/Paris",
        default_locale="en",
    )
    c.translations = [ConsultationTranslation(locale="en", title=title, summary="Where should they go?")]
    db.session.add(c)
    db.session.flush()
    db.session.add(
        ProposalSettings(
            consultation_id=c.id,
            accepts_proposals=True,
            verified_only=False,
            max_supports=None,
            support_threshold=None,
            published_count=0,
        )
    )
    db.session.commit()
    return c


def make_proposal(consultation, author, *, title: str = "More trees on Rue Haute",
                  body: str = "Plant a row of lime trees along the street.") -> Proposal:
    p = Proposal(
        consultation_id=consultation.id,
        author_id=author.id,
        state=ProposalState.PUBLISHED,
        title=title,
        body=body,
        language="en",
        support_count=0,
        comment_count=0,
        created_at=NOW - timedelta(days=1),
        updated_at=NOW - timedelta(days=1),
        published_at=NOW - timedelta(days=1),
    )
    db.session.add(p)
    settings = db.session.get(ProposalSettings, consultation.id)
    settings.published_count += 1
    db.session.commit()
    return p


def make_meeting(department, creator, *, consultation=None) -> Meeting:
    starts = NOW + timedelta(days=3)
    m = Meeting(
        department_id=department.id,
        consultation_id=consultation.id if consultation is not None else None,
        type=MeetingType.IN_PERSON,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/Paris",
        address="Town hall, room 2",
        default_locale="en",
        creator_id=creator.id,
    )
    m.translations = [MeetingTranslation(locale="en", title="Neighbourhood assembly", description="Come and talk about the cycle lanes.")]
    db.session.add(m)
    db.session.commit()
    return m


def post(author, obj, body: str = "A thoughtful remark about the plan.", *, kind: str = "consultation",
         language: str = "en"):
    comment = comments.post_comment(author, make_target(kind, obj), body, language=language)
    db.session.commit()
    return comment


def report(reporter, kind, item, reason="spam", details=""):
    found = services.report(reporter, kind, item, reason, details)
    db.session.commit()
    return found


def case_of(kind: str, item) -> ModerationCase:
    column = getattr(ModerationCase, KIND_COLUMNS[kind])
    return db.session.execute(
        select(ModerationCase).where(column == item.id).order_by(ModerationCase.id.desc()).limit(1)
    ).scalar_one()


def act(actor, case, action, **inputs):
    services.act(actor, case, action, **inputs)
    db.session.commit()


@dataclass
class World:
    consultation: Consultation
    other_consultation: Consultation
    comment: object
    proposal: Proposal
    meeting: Meeting


@pytest.fixture
def author(session):
    return factories.UserFactory(display_name="Tomasz Nowak")


@pytest.fixture
def reporters(session):
    return [factories.UserFactory(display_name=f"Reporter {i}") for i in range(5)]


@pytest.fixture
def world(session, department, other_department, author, staff):
    consultation = make_consultation(department)
    other = make_consultation(other_department, title="Library opening hours")
    return World(
        consultation=consultation,
        other_consultation=other,
        comment=post(author, consultation, "The plan forgets the north bank entirely."),
        proposal=make_proposal(consultation, author),
        meeting=make_meeting(department, staff, consultation=consultation),
    )


@pytest.fixture
def limited_app(app, database_url):
    """A second app on the same database with rate limiting on and a tiny report limit.

    ``tests/conftest.py`` switches the shared limiter back off after each test.
    """
    from civic import create_app
    from tests.conftest import CivicTestClient

    limited = create_app(
        {
            "CIVIC_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATE_LIMIT_REPORT": "2 per minute",
        }
    )
    limited.test_client_class = CivicTestClient
    yield limited
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()
