"""Official answers: states, texts per language with fallback, notifications, the report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.core.errors import InvalidInput, PermissionDenied
from civic.extensions import db
from civic.notifications import services as notifications
from civic.notifications.models import Notification, NotificationKind
from civic.proposals import services
from civic.proposals.models import Proposal, ProposalAnswer, ProposalState
from tests import factories
from tests.proposals.conftest import make_consultation, make_proposal


def _recipients(kind: NotificationKind) -> set[int]:
    return set(
        db.session.execute(select(Notification.recipient_id).where(Notification.kind == kind)).scalars()
    )


def test_answer_notifies_author_supporters_and_followers(frozen, department, staff, resident):
    consultation = make_consultation(department)
    settings = services.settings_for(consultation.id)
    proposal = services.get_proposal(make_proposal(consultation, resident).id)
    supporters = [factories.UserFactory() for _ in range(3)]
    follower, bystander = factories.UserFactory(), factories.UserFactory()
    for person in supporters:
        services.support(person, proposal, settings)
    services.follow(follower, proposal)
    services.follow(supporters[0], proposal)  # supports and follows: told once
    db.session.commit()

    services.answer(staff, services.get_proposal(proposal.id), ProposalState.UNDER_EVALUATION, {"en": "We are looking into it."})
    db.session.commit()
    got = _recipients(NotificationKind.PROPOSAL_ANSWERED)
    assert got == {resident.id, follower.id, *(s.id for s in supporters)}
    assert staff.id not in got and bystander.id not in got
    rows = db.session.execute(select(Notification).where(Notification.recipient_id == supporters[0].id)).scalars().all()
    assert len(rows) == 1 and rows[0].proposal_id == proposal.id and rows[0].params["state"] == "under_evaluation"
    assert notifications.unread_count(resident.id) == 1


def test_withdrawal_notifies_supporters_and_followers_not_the_author(frozen, department, resident):
    consultation = make_consultation(department)
    settings = services.settings_for(consultation.id)
    proposal = services.get_proposal(make_proposal(consultation, resident).id)
    supporter, follower = factories.UserFactory(), factories.UserFactory()
    services.support(supporter, proposal, settings)
    services.follow(follower, proposal)
    db.session.commit()
    services.withdraw(resident, services.get_proposal(proposal.id))
    db.session.commit()
    assert _recipients(NotificationKind.PROPOSAL_WITHDRAWN) == {supporter.id, follower.id}


def test_notification_text_is_rendered_in_the_readers_language(frozen, client, login, department, staff):
    consultation = make_consultation(department)
    author = factories.UserFactory(locale="fr")
    p = make_proposal(consultation, author, title="Des bancs au parc", language="fr")
    services.answer(staff, services.get_proposal(p.id), ProposalState.ACCEPTED, {"fr": "Oui."})
    db.session.commit()
    login(author)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Des bancs au parc" in page
    assert f"/proposals/{p.id}#answers" in page


def test_answer_requires_text_and_an_allowed_state(frozen, client, login, department, staff, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, resident)
    proposal = services.get_proposal(p.id)
    with pytest.raises(InvalidInput):
        services.answer(staff, proposal, ProposalState.ACCEPTED, {"en": "   ", "fr": ""})
    with pytest.raises(InvalidInput):
        services.answer(staff, proposal, ProposalState.IMPLEMENTED, {"en": "Skipping steps"})
    db.session.rollback()
    login(staff)
    page = client.get(f"/proposals/{p.id}/answer").get_data(as_text=True)
    assert 'value="accepted"' in page and 'value="implemented"' not in page
    response = client.post(f"/proposals/{p.id}/answer", data={"state": "accepted"})
    assert response.status_code == 400
    assert "Write the public answer in at least one language." in response.get_data(as_text=True)
    assert db.session.get(Proposal, p.id).state == ProposalState.PUBLISHED
    assert db.session.execute(select(ProposalAnswer)).first() is None


def test_the_life_of_a_proposal_through_answers(frozen, department, staff, admin, resident):
    consultation = make_consultation(department)
    pid = make_proposal(consultation, resident).id
    steps = [
        (staff, ProposalState.UNDER_EVALUATION),
        (admin, ProposalState.ACCEPTED),
        (staff, ProposalState.IMPLEMENTED),
    ]
    for actor, state in steps:
        services.answer(actor, services.get_proposal(pid), state, {"en": f"Now {state.value}."})
        db.session.commit()
    proposal = services.get_proposal(pid, answers=True)
    assert proposal.state == ProposalState.IMPLEMENTED
    assert [a.state for a in proposal.answers] == [s for _a, s in reversed(steps)]
    assert [a.previous_state for a in proposal.answers][-1] == ProposalState.PUBLISHED
    with pytest.raises(PermissionDenied):  # implemented is final
        services.answer(staff, proposal, ProposalState.REJECTED, {"en": "No."})


def test_answer_shown_in_the_readers_language_with_marked_fallback(frozen, client, department, staff, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, resident)
    services.answer(
        staff, services.get_proposal(p.id), ProposalState.ACCEPTED,
        {"en": "We will plant them in April.", "fr": "Nous les planterons en avril."},
    )
    db.session.commit()
    fr = client.get(f"/proposals/{p.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Nous les planterons en avril." in fr and "We will plant them in April." not in fr
    es = client.get(f"/proposals/{p.id}", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<div class="answer-text" lang="en" dir="ltr"><p>We will plant them in April.</p></div>' in es
    assert "language-fallback" in es


def test_answers_appear_in_the_consultation_report(frozen, client, department, staff, resident):
    consultation = make_consultation(department, "closed")
    accepted = make_proposal(consultation, resident, title="Benches by the river", support_count=9)
    make_proposal(consultation, resident, title="Unanswered idea")
    services.answer(staff, services.get_proposal(accepted.id), ProposalState.ACCEPTED, {"en": "Ten benches this summer."})
    db.session.commit()
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert 'id="proposal-answers"' in page
    section = page[page.index('id="proposal-answers"'):]
    assert "Benches by the river" in section and "Ten benches this summer." in section
    assert "Accepted: 1 proposal" in section
    assert "Unanswered idea" not in section.split("</section>")[0]
