"""The listings, the proposal page and the consultation page issue a fixed number of queries,
whether a consultation has three proposals or sixty, one support or hundreds."""

from __future__ import annotations

from civic.core.time import utcnow
from civic.extensions import db
from civic.proposals import services
from civic.proposals.models import Proposal, ProposalSettings, ProposalState, Support
from tests import factories
from tests.proposals.conftest import make_consultation

LIMIT = 20  # the proposal page also shows its discussion (comments capability)


def _fill(department, n_proposals: int, n_supporters: int, topic, area):
    consultation = make_consultation(department, max_supports=1000, threshold=10)
    authors = [factories.UserFactory() for _ in range(3)]
    supporters = [factories.UserFactory() for _ in range(n_supporters)]
    now = utcnow()
    proposals = [
        Proposal(
            consultation_id=consultation.id, author_id=authors[i % 3].id, state=ProposalState.PUBLISHED,
            title=f"Idea {i} about trees", body="Shade and benches.", language="en",
            topic_id=topic.id, area_id=area.id, support_count=n_supporters,
            created_at=now, updated_at=now, published_at=now,
        )
        for i in range(n_proposals)
    ]
    db.session.add_all(proposals)
    db.session.get(ProposalSettings, consultation.id).published_count = n_proposals
    db.session.flush()
    db.session.add_all(Support(proposal_id=p.id, user_id=u.id) for p in proposals for u in supporters)
    db.session.commit()
    staff = factories.UserFactory(admin=True)
    for i, p in enumerate(proposals[:12]):  # answers on the first ones (the pages look at them)
        if i % 3:
            state = ProposalState.ACCEPTED if i % 3 == 1 else ProposalState.UNDER_EVALUATION
            services.answer(staff, services.get_proposal(p.id), state, {"en": "Answer", "fr": "Réponse"})
    db.session.commit()
    return consultation, proposals, supporters


def _count(count_queries, client, url: str) -> int:
    client.get(url)  # warm up (templates, compiled SQL)
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200, url
    return q.count


PAGES = (
    "/consultations/{}/proposals",
    "/consultations/{}/proposals?sort=supported&supported=1&q=trees",
    "/consultations/{}/proposals/feed.atom",
    "/consultations/{}",
)


def test_query_counts_do_not_grow_with_data(frozen, login, client, count_queries, department, topic, area):
    small, small_ps, _people = _fill(department, 3, 1, topic, area)
    viewer = factories.UserFactory()
    db.session.add(Support(proposal_id=small_ps[0].id, user_id=viewer.id))
    db.session.commit()
    login(viewer)
    city_few = _count(count_queries, client, "/proposals?sort=newest&supported=1")
    city_random_few = _count(count_queries, client, "/proposals")

    big, big_ps, _people = _fill(department, 60, 12, topic, area)
    db.session.add(Support(proposal_id=big_ps[0].id, user_id=viewer.id))
    db.session.commit()

    for template in PAGES:
        few = _count(count_queries, client, template.format(small.id))
        many = _count(count_queries, client, template.format(big.id))
        assert few == many, (template, few, many)
        if template != "/consultations/{}":  # that page also has others' sections
            assert many <= LIMIT, (template, many)
    few = _count(count_queries, client, f"/proposals/{small_ps[1].id}")
    many = _count(count_queries, client, f"/proposals/{big_ps[1].id}")
    assert few == many <= LIMIT, (few, many)
    assert _count(count_queries, client, "/proposals?sort=newest&supported=1") == city_few <= LIMIT
    assert _count(count_queries, client, "/proposals") == city_random_few <= LIMIT
