"""Helpers for the meetings tests: a frozen clock, meetings and consultations around it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from civic.consultations.models import Consultation, ConsultationState, ConsultationTranslation
from civic.extensions import db
from civic.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingState,
    MeetingTranslation,
    MeetingType,
    RegistrationMode,
)
from tests import factories

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():
    """Every meetings test runs at NOW; ``clock.move_to(...)`` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def make_consultation(department, state: ConsultationState = ConsultationState.OPEN, title="Cycle lanes") -> Consultation:
    c = Consultation(
        department_id=department.id,
        state=state,
        opens_at=NOW - timedelta(days=5) if state != ConsultationState.DRAFT else None,
        closes_at=NOW + timedelta(days=25) if state != ConsultationState.DRAFT else None,
        timezone="Europe/Paris",
        default_locale="en",
    )
    c.translations = [ConsultationTranslation(locale="en", title=title, summary="", body="")]
    db.session.add(c)
    db.session.commit()
    return c


def make_meeting(
    department,
    *,
    starts_in: timedelta = timedelta(days=7),
    duration: timedelta = timedelta(hours=2),
    type: MeetingType = MeetingType.HYBRID,
    registration: RegistrationMode = RegistrationMode.OPEN,
    capacity: int | None = None,
    timezone: str = "Europe/Madrid",
    title: str = "Neighbourhood assembly",
    translations: dict[str, str] | None = None,
    join_url: str | None = "https://video.example.org/room-42",
    address: str = "Plaza Mayor 1",
    consultation=None,
    state: MeetingState = MeetingState.SCHEDULED,
    agenda: int = 0,
    creator=None,
    locale: str = "en",
) -> Meeting:
    starts = NOW + starts_in
    m = Meeting(
        department_id=department.id,
        consultation_id=consultation.id if consultation else None,
        default_locale=locale,
        type=type,
        state=state,
        starts_at=starts,
        ends_at=starts + duration,
        timezone=timezone,
        address=address if type.has_place else "",
        join_url=join_url if type.has_link else None,
        registration=registration,
        capacity=capacity if registration == RegistrationMode.LIMITED else None,
        creator_id=creator.id if creator else None,
    )
    texts = translations or {locale: title}
    m.translations = [MeetingTranslation(locale=code, title=text, description=f"About {text}") for code, text in texts.items()]
    m.agenda = [
        AgendaItem(position=i, duration_minutes=10 + i, title_translations={locale: f"Item {i}"})
        for i in range(1, agenda + 1)
    ]
    db.session.add(m)
    db.session.commit()
    return m


def people(n: int, **kwargs) -> list:
    return [factories.UserFactory(**kwargs) for _i in range(n)]
