"""Helpers for the proposals tests: consultations in each state, proposals, a frozen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from civic.consultations.models import (
    Area,
    Consultation,
    ConsultationState,
    ConsultationTranslation,
    Topic,
)
from civic.extensions import db
from civic.proposals.models import Proposal, ProposalSettings, ProposalState

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

#: (stored state, opens_at, closes_at) relative to NOW for each consultation state we test.
CONSULTATION_STATES = {
    "draft": (ConsultationState.DRAFT, None, None),
    "open": (ConsultationState.OPEN, NOW - timedelta(days=7), NOW + timedelta(days=30)),
    "closed": (ConsultationState.CLOSED, NOW - timedelta(days=60), NOW - timedelta(days=1)),
    "concluded": (ConsultationState.CONCLUDED, NOW - timedelta(days=90), NOW - timedelta(days=30)),
}


@pytest.fixture(autouse=True)
def _request_context(request):
    """Services run inside requests (their messages are translated for the reader)."""
    if "app" not in request.fixturenames and "session" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


@pytest.fixture
def frozen():
    """The clock stands still at NOW (consultations' effective state depends on it)."""
    with time_machine.travel(NOW, tick=False):
        yield NOW


def make_consultation(
    department,
    state: str = "open",
    *,
    accepts: bool = True,
    verified_only: bool = False,
    max_supports: int | None = None,
    threshold: int | None = None,
    title: str = "Greener streets",
    default_locale: str = "en",
    with_settings: bool = True,
) -> Consultation:
    stored, opens, closes = CONSULTATION_STATES[state]
    c = Consultation(
        department_id=department.id,
        state=stored,
        opens_at=opens,
        closes_at=closes,
        default_locale=default_locale,
        timezone="Europe/Paris",
    )
    c.translations = [ConsultationTranslation(locale=default_locale, title=title, summary="")]
    db.session.add(c)
    db.session.flush()
    if with_settings:
        db.session.add(
            ProposalSettings(
                consultation_id=c.id,
                accepts_proposals=accepts,
                verified_only=verified_only,
                max_supports=max_supports,
                support_threshold=threshold,
                published_count=0,
            )
        )
    db.session.commit()
    return c


def make_proposal(
    consultation,
    author,
    state: ProposalState = ProposalState.PUBLISHED,
    *,
    title: str = "More trees on Rue Haute",
    body: str = "Plant a row of lime trees along the street to give shade in summer.",
    language: str = "en",
    support_count: int = 0,
    comment_count: int = 0,
    published_at: datetime | None = None,
    topic=None,
    area=None,
) -> Proposal:
    now = published_at or datetime.now(UTC)
    p = Proposal(
        consultation_id=consultation.id,
        author_id=author.id if author is not None else None,
        state=state,
        title=title,
        body=body,
        language=language,
        support_count=support_count,
        comment_count=comment_count,
        created_at=now,
        updated_at=now,
        published_at=None if state == ProposalState.DRAFT else now,
        topic_id=topic.id if topic is not None else None,
        area_id=area.id if area is not None else None,
    )
    db.session.add(p)
    if state != ProposalState.DRAFT:
        settings = db.session.get(ProposalSettings, consultation.id)
        if settings is not None:
            settings.published_count += 1
    db.session.commit()
    return p


@pytest.fixture
def topic(session):
    t = Topic(slug="trees", name_translations={"en": "Trees", "fr": "Arbres"})
    db.session.add(t)
    db.session.commit()
    return t


@pytest.fixture
def area(session):
    a = Area(slug="old-town", name_translations={"en": "Old town", "fr": "Vieille ville"})
    db.session.add(a)
    db.session.commit()
    return a


@pytest.fixture
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path))
    return tmp_path
