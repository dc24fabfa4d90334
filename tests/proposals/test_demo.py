"""The demo city's proposals: hundreds, in four languages, every state, exact counters."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from civic.consultations.models import (
    Area,
    Consultation,
    ConsultationState,
    ConsultationTranslation,
    Topic,
)
from civic.core.time import utcnow
from civic.demo import BUILDERS, DemoContext, build_people
from civic.extensions import db
from civic.proposals.demo import build_proposals
from civic.proposals.models import (
    Proposal,
    ProposalAnswer,
    ProposalSettings,
    ProposalState,
    Support,
    SupportBudget,
)


def _consultations(ctx: DemoContext) -> None:
    """What the consultations builder provides: topics, areas, public consultations."""
    now = utcnow()
    db.session.add_all([Topic(slug=f"topic-{i}", name_translations={"en": f"Topic {i}"}) for i in range(3)])
    db.session.add_all([Area(slug=f"area-{i}", name_translations={"en": f"Area {i}"}) for i in range(3)])
    depts = list(ctx.departments.values())
    phases = [
        (ConsultationState.OPEN, now - timedelta(days=10), now + timedelta(days=20)),
        (ConsultationState.OPEN, now - timedelta(days=3), now + timedelta(days=40)),
        (ConsultationState.CLOSED, now - timedelta(days=90), now - timedelta(days=10)),
        (ConsultationState.CONCLUDED, now - timedelta(days=200), now - timedelta(days=120)),
        (ConsultationState.DRAFT, None, None),
    ]
    for i, (state, opens, closes) in enumerate(phases):
        c = Consultation(
            department_id=depts[i % len(depts)].id, state=state, opens_at=opens, closes_at=closes,
            default_locale=depts[i % len(depts)].default_locale,
        )
        c.translations = [ConsultationTranslation(locale="en", title=f"Consultation {i}")]
        db.session.add(c)
    db.session.flush()


def test_demo_proposals(app, session):
    ctx = DemoContext(rng=random.Random(2026))
    build_people(ctx)
    _consultations(ctx)
    build_proposals(ctx)
    db.session.commit()

    proposals = session.execute(select(Proposal)).scalars().all()
    assert len(proposals) >= 250
    assert {p.language for p in proposals} == {"fr", "en", "es", "ar"}
    draft_consultation = session.execute(
        select(Consultation.id).where(Consultation.state == ConsultationState.DRAFT)
    ).scalar_one()
    assert all(p.consultation_id != draft_consultation for p in proposals)
    states = Counter(p.state for p in proposals)
    for state in ProposalState:
        assert states[state] > 0, state
    # Stored counters match the rows.
    rows = dict(session.execute(select(Support.proposal_id, func.count()).group_by(Support.proposal_id)).all())
    assert all(p.support_count == rows.get(p.id, 0) for p in proposals)
    assert sum(rows.values()) >= 300
    assert all(rows.get(p.id, 0) == 0 for p in proposals if p.state == ProposalState.DRAFT)
    published = Counter(p.consultation_id for p in proposals if p.state != ProposalState.DRAFT)
    settings = session.execute(select(ProposalSettings)).scalars().all()
    assert settings and all(s.published_count == published.get(s.consultation_id, 0) for s in settings)
    # Budgets: supports on proposals that are not withdrawn, never over the limit.
    limits = {s.consultation_id: s.max_supports for s in settings}
    assert any(limit is not None for limit in limits.values())
    by_id = {p.id: p for p in proposals}
    used = Counter()
    for pid, uid in session.execute(select(Support.proposal_id, Support.user_id)):
        if by_id[pid].state != ProposalState.WITHDRAWN:
            used[(uid, by_id[pid].consultation_id)] += 1
    for b in session.execute(select(SupportBudget)).scalars():
        assert b.used == used[(b.user_id, b.consultation_id)]
        assert limits[b.consultation_id] is None or b.used <= limits[b.consultation_id]
    # Every answered proposal has answers with text; the others have none.
    answers = session.execute(select(ProposalAnswer)).scalars().all()
    answered = {a.proposal_id for a in answers}
    assert all(a.texts for a in answers)
    for p in proposals:
        expect = p.state in (ProposalState.UNDER_EVALUATION, ProposalState.ACCEPTED, ProposalState.REJECTED, ProposalState.IMPLEMENTED)
        assert (p.id in answered) is expect, p.state


def test_demo_pages_render(app, session, client):
    ctx = DemoContext(rng=random.Random(1))
    build_people(ctx)
    _consultations(ctx)
    build_proposals(ctx)
    db.session.commit()
    assert client.get("/proposals").status_code == 200
    answered = session.execute(
        select(Proposal.id).where(Proposal.state == ProposalState.IMPLEMENTED).limit(1)
    ).scalar_one()
    page = client.get(f"/proposals/{answered}").get_data(as_text=True)
    assert "Implemented" in page and "Official answers" in page


def test_the_proposals_builder_is_registered_after_the_consultations():
    names = [b.__name__ for b in BUILDERS]
    assert "build_proposals" in names
    assert names.index("build_people") < names.index("build_proposals")
    if "build_consultations" in names:
        assert names.index("build_consultations") < names.index("build_proposals")
