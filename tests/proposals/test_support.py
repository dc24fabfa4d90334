"""Supporting: one per person, exact stored counts, budgets, thresholds; editing and withdrawing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.core.errors import Conflict, PermissionDenied
from civic.extensions import db
from civic.proposals import services
from civic.proposals.models import Proposal, ProposalState, Support, SupportBudget
from tests import factories
from tests.proposals.conftest import make_consultation, make_proposal


def _count_rows(proposal_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(Support).where(Support.proposal_id == proposal_id)
    ).scalar_one()


def _reload(proposal_id: int) -> Proposal:
    db.session.expire_all()
    return services.get_proposal(proposal_id)


def test_one_support_per_person_and_exact_counts(frozen, department, resident):
    consultation = make_consultation(department)
    settings = services.settings_for(consultation.id)
    proposal = services.get_proposal(make_proposal(consultation, resident).id)
    people = [factories.UserFactory() for _ in range(5)]
    for person in people:
        assert services.support(person, proposal, settings) is True
        assert services.support(person, proposal, settings) is False  # twice: still one
        db.session.commit()
    proposal = _reload(proposal.id)
    assert proposal.support_count == 5 == _count_rows(proposal.id)

    assert services.unsupport(people[0], proposal) is True
    assert services.unsupport(people[0], proposal) is False
    db.session.commit()
    proposal = _reload(proposal.id)
    assert proposal.support_count == 4 == _count_rows(proposal.id)


def test_support_and_take_back_through_the_page(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, factories.UserFactory())
    login(resident)
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Support this proposal" in page
    for _ in range(2):  # a double click counts once
        assert client.post(f"/proposals/{p.id}/support").status_code == 302
    assert db.session.get(Proposal, p.id).support_count == 1
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "You support this proposal." in page and "Take my support back" in page
    assert client.post(f"/proposals/{p.id}/unsupport").status_code == 302
    assert db.session.get(Proposal, p.id).support_count == 0
    assert _count_rows(p.id) == 0


def test_authors_cannot_support_their_own_proposal(frozen, department, resident):
    consultation = make_consultation(department)
    proposal = services.get_proposal(make_proposal(consultation, resident).id)
    with pytest.raises(PermissionDenied):
        services.support(resident, proposal, services.settings_for(consultation.id))


def test_verified_only_setting(frozen, client, login, department, resident, verified_resident):
    consultation = make_consultation(department, verified_only=True)
    p = make_proposal(consultation, factories.UserFactory())
    login(resident)
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Only residents verified by the city can support proposals" in page
    response = client.post(f"/proposals/{p.id}/support", follow_redirects=True)
    assert "Only residents verified by the city" in response.get_data(as_text=True)
    assert db.session.get(Proposal, p.id).support_count == 0
    login(verified_resident)
    client.post(f"/proposals/{p.id}/support")
    assert db.session.get(Proposal, p.id).support_count == 1


def test_support_budget_per_person_and_consultation(frozen, client, login, department, resident):
    consultation = make_consultation(department, max_supports=2)
    elsewhere = make_consultation(department, max_supports=2, title="Elsewhere")
    author = factories.UserFactory()
    ps = [make_proposal(consultation, author, title=f"Idea {i}") for i in range(3)]
    other = make_proposal(elsewhere, author)
    login(resident)
    page = client.get(f"/consultations/{consultation.id}/proposals").get_data(as_text=True)
    assert "You can support 2 more proposals in this consultation." in page

    client.post(f"/proposals/{ps[0].id}/support")
    client.post(f"/proposals/{ps[1].id}/support")
    response = client.post(f"/proposals/{ps[2].id}/support", follow_redirects=True)
    assert "You have used all 2 of your supports" in response.get_data(as_text=True)
    assert db.session.get(Proposal, ps[2].id).support_count == 0
    page = client.get(f"/proposals/{ps[2].id}").get_data(as_text=True)
    assert "You can support 0 more proposals in this consultation." in page
    # Another consultation has its own budget.
    client.post(f"/proposals/{other.id}/support")
    assert db.session.get(Proposal, other.id).support_count == 1
    # Taking one back frees it.
    client.post(f"/proposals/{ps[0].id}/unsupport")
    client.post(f"/proposals/{ps[2].id}/support")
    assert [db.session.get(Proposal, p.id).support_count for p in ps] == [0, 1, 1]
    budget = db.session.get(SupportBudget, (resident.id, consultation.id))
    assert budget.used == 2


def test_budget_counts_supports_made_before_a_limit_was_set(frozen, department, resident):
    consultation = make_consultation(department)
    author = factories.UserFactory()
    ps = [services.get_proposal(make_proposal(consultation, author, title=f"Idea {i}").id) for i in range(3)]
    # Supports recorded without any budget row (as bulk-loaded data would be).
    db.session.add_all([Support(proposal_id=ps[0].id, user_id=resident.id), Support(proposal_id=ps[1].id, user_id=resident.id)])
    db.session.commit()
    services.update_settings(
        factories.UserFactory(admin=True), consultation,
        accepts_proposals=True, verified_only=False, max_supports=2, support_threshold=None,
    )
    db.session.commit()
    settings = services.settings_for(consultation.id)
    assert services.supports_remaining(resident, settings) == 0
    with pytest.raises(Conflict):
        services.support(resident, ps[2], settings)
    db.session.rollback()


def test_threshold_progress_in_text_and_decorative_bar(frozen, client, department):
    consultation = make_consultation(department, threshold=5)
    p = make_proposal(consultation, factories.UserFactory(), support_count=3)
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "3 of 5 supports" in page
    assert "2 more needed for an official answer" in page
    assert '<progress class="support-bar" max="5" value="3" aria-hidden="true">' in page
    done = make_proposal(consultation, factories.UserFactory(), support_count=7, title="Popular")
    page = client.get(f"/proposals/{done.id}").get_data(as_text=True)
    assert "7 of 5 supports" in page and "enough for an official answer" in page
    answered = make_proposal(consultation, factories.UserFactory(), ProposalState.ACCEPTED, support_count=3, title="Decided")
    page = client.get(f"/proposals/{answered.id}").get_data(as_text=True)
    assert "3 of 5 supports" in page and "more needed" not in page  # already answered
    listing = client.get(f"/consultations/{consultation.id}/proposals").get_data(as_text=True)
    assert "3 of 5 supports" in listing and "7 of 5 supports" in listing


def test_editing_closes_at_the_first_support(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, resident, title="First version")
    login(resident)
    data = {"title": "Second version", "body": "Better words.", "language": "en", "topic_id": "", "area_id": "", "action": "save"}
    assert client.post(f"/proposals/{p.id}/edit", data=data).status_code == 302
    assert db.session.get(Proposal, p.id).title == "Second version"

    services.support(factories.UserFactory(), services.get_proposal(p.id), services.settings_for(consultation.id))
    db.session.commit()
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "can no longer be changed" in page
    assert f'href="/proposals/{p.id}/edit"' not in page
    response = client.get(f"/proposals/{p.id}/edit")
    assert response.status_code == 302
    response = client.post(f"/proposals/{p.id}/edit", data={**data, "title": "Third version"})
    assert response.status_code == 302
    assert db.session.get(Proposal, p.id).title == "Second version"


def test_a_comment_also_closes_editing(frozen, department, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, resident, comment_count=1)
    proposal = services.get_proposal(p.id)
    data = services.ProposalInput(title="Changed", body="Changed", language="en")
    with pytest.raises(Conflict):
        services.update_proposal(resident, proposal, services.settings_for(consultation.id), data)


def test_edit_racing_a_support_is_refused(frozen, department, resident):
    """The edit's UPDATE carries the condition, so a support arriving meanwhile wins."""
    consultation = make_consultation(department)
    settings = services.settings_for(consultation.id)
    proposal = services.get_proposal(make_proposal(consultation, resident, title="Original").id)
    # The page was loaded before the support (the object still says 0 supports).
    db.session.execute(
        Proposal.__table__.update().where(Proposal.id == proposal.id).values(support_count=1)
    )
    data = services.ProposalInput(title="Sneaky change", body="Changed", language="en")
    with pytest.raises(Conflict):
        services.update_proposal(resident, proposal, settings, data)
    db.session.rollback()
    assert _reload(proposal.id).title == "Original"


def test_withdrawing_freezes_supports_and_keeps_it_visible(frozen, client, login, department, resident):
    consultation = make_consultation(department, max_supports=3)
    settings = services.settings_for(consultation.id)
    p = make_proposal(consultation, resident, title="Withdraw me")
    supporters = [factories.UserFactory() for _ in range(3)]
    for person in supporters:
        services.support(person, services.get_proposal(p.id), settings)
    db.session.commit()
    assert db.session.get(SupportBudget, (supporters[0].id, consultation.id)).used == 1

    login(resident)
    assert "Withdraw your proposal" in client.get(f"/proposals/{p.id}/withdraw").get_data(as_text=True)
    assert client.post(f"/proposals/{p.id}/withdraw").status_code == 302
    assert db.session.get(Proposal, p.id).state == ProposalState.WITHDRAWN
    # Supporters got their budget back; the supports themselves stay, frozen.
    assert db.session.get(SupportBudget, (supporters[0].id, consultation.id)).used == 0
    assert _count_rows(p.id) == 3

    login(supporters[0])
    assert client.post(f"/proposals/{p.id}/unsupport").status_code == 403
    login(factories.UserFactory())
    assert client.post(f"/proposals/{p.id}/support").status_code == 403
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "withdrew this proposal" in page and "Supports are frozen" in page
    assert db.session.get(Proposal, p.id).support_count == 3 == _count_rows(p.id)
    listing = client.get(f"/consultations/{consultation.id}/proposals").get_data(as_text=True)
    assert "Withdraw me" in listing and "Withdrawn by its author" in listing


def test_support_racing_a_withdrawal_is_refused(frozen, department, resident):
    consultation = make_consultation(department)
    settings = services.settings_for(consultation.id)
    proposal = services.get_proposal(make_proposal(consultation, resident).id)
    supporter = factories.UserFactory()
    proposal = services.get_proposal(proposal.id)
    # Withdrawn by another request after this one loaded the proposal.
    db.session.execute(
        Proposal.__table__.update().where(Proposal.id == proposal.id).values(state=ProposalState.WITHDRAWN)
    )
    with pytest.raises(Conflict):
        services.support(supporter, proposal, settings)  # the object still says published
    db.session.rollback()
    assert _count_rows(proposal.id) == 0
