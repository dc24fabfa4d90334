"""The "Meetings" section of the consultation page (through the consultations' registry).

The loader takes a list of consultations and returns, for all of them at once, their next
meetings, their latest past ones and their open scheduling polls: three windowed queries plus
one for the meetings' texts, whatever the number of consultations or meetings.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from civic.core.time import utcnow
from civic.extensions import db
from civic.meetings.models import Meeting, PollState, SchedulingPoll
from civic.meetings.permissions import is_organizer

UPCOMING = 5
PAST = 3
POLLS = 3


def _ranked(filter_, order, limit: int, ids: list[int]) -> dict[int, list[Meeting]]:
    rank = func.row_number().over(partition_by=Meeting.consultation_id, order_by=order).label("rank")
    inner = (
        select(Meeting.id, rank)
        .where(Meeting.consultation_id.in_(ids), filter_)
        .subquery()
    )
    rows = db.session.execute(
        select(Meeting).join(inner, inner.c.id == Meeting.id).where(inner.c.rank <= limit).order_by(inner.c.rank)
    ).scalars()
    out: dict[int, list[Meeting]] = defaultdict(list)
    for m in rows:
        out[m.consultation_id].append(m)
    return out


def load_meetings(consultations, user) -> dict[int, dict]:
    ids = [c.id for c in consultations]
    if not ids:
        return {}
    now = utcnow()
    upcoming = _ranked(Meeting.ends_at > now, (Meeting.starts_at, Meeting.id), UPCOMING, ids)
    past = _ranked(Meeting.ends_at <= now, (Meeting.starts_at.desc(), Meeting.id.desc()), PAST, ids)
    rank = func.row_number().over(
        partition_by=SchedulingPoll.consultation_id,
        order_by=(SchedulingPoll.created_at.desc(), SchedulingPoll.id.desc()),
    ).label("rank")
    inner = (
        select(SchedulingPoll.id, rank)
        .where(SchedulingPoll.consultation_id.in_(ids), SchedulingPoll.state == PollState.OPEN)
        .subquery()
    )
    polls: dict[int, list[SchedulingPoll]] = defaultdict(list)
    for p in db.session.execute(
        select(SchedulingPoll).join(inner, inner.c.id == SchedulingPoll.id).where(inner.c.rank <= POLLS)
    ).scalars():
        polls[p.consultation_id].append(p)
    return {
        c.id: {
            "upcoming": upcoming.get(c.id, []),
            "past": past.get(c.id, []),
            "polls": polls.get(c.id, []),
            "can_organize": is_organizer(user, c),
        }
        for c in consultations
    }


def visible(user, consultation, data) -> bool:
    if not data:
        return False
    return bool(data["upcoming"] or data["past"] or data["polls"] or data["can_organize"])


def register_section(app: Flask) -> None:
    try:
        from civic.consultations.registry import PageSection, register_page_section
    except ImportError:  # pragma: no cover - consultations not installed
        return
    register_page_section(
        app,
        PageSection(
            key="meetings",
            order=60,
            title=_l("Meetings"),
            template="meetings/_consultation_section.html",
            loader=load_meetings,
            visible=visible,
        ),
    )
