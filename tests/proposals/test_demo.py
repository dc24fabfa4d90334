"""The demo city's proposals: hundreds, in four languages, every state, exact counters."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from civic.proposals.models import (
    Proposal,
    ProposalAnswer,
    ProposalSettings,
    ProposalState,
    Support,
    SupportBudget,
)


def test_demo_proposals(app, session):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    proposals = session.execute(select(Proposal)).scalars().all()
    assert len(proposals) >= 250
    assert {p.language for p in proposals} == {"fr", "en", "es", "ar"}
    assert set(ProposalState) <= {p.state for p in proposals} | {ProposalState.DRAFT}
    states = Counter(p.state for p in proposals)
    for state in (ProposalState.ACCEPTED, ProposalState.REJECTED, ProposalState.IMPLEMENTED,
                  ProposalState.UNDER_EVALUATION, ProposalState.WITHDRAWN, ProposalState.PUBLISHED):
        assert states[state] > 0, state
    # Stored counters match the rows.
    rows = dict(session.execute(select(Support.proposal_id, func.count()).group_by(Support.proposal_id)).all())
    assert all(p.support_count == rows.get(p.id, 0) for p in proposals)
    assert sum(rows.values()) >= 300
    published = Counter(p.consultation_id for p in proposals if p.state != ProposalState.DRAFT)
    for s in session.execute(select(ProposalSettings)).scalars():
        assert s.published_count == published.get(s.consultation_id, 0)
    # Budgets: supports on proposals that are not withdrawn, never over the limit.
    limits = {s.consultation_id: s.max_supports for s in session.execute(select(ProposalSettings)).scalars()}
    for b in session.execute(select(SupportBudget)).scalars():
        assert limits[b.consultation_id] is None or b.used <= limits[b.consultation_id]
    # Every answered proposal has an answer with text; drafts and fresh ones have none.
    answered = {pid for (pid,) in session.execute(select(ProposalAnswer.proposal_id)).all()}
    for p in proposals:
        expect = p.state in (ProposalState.UNDER_EVALUATION, ProposalState.ACCEPTED, ProposalState.REJECTED, ProposalState.IMPLEMENTED)
        assert (p.id in answered) is expect, p.state
