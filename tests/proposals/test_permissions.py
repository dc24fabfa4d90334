"""Role × consultation state × proposal state: who may submit, edit, withdraw, support, answer.

The expectations are written as rules (not copied from the code), then checked both on the
permission functions and through HTTP for the open consultation.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from civic.extensions import db
from civic.proposals import permissions, services
from civic.proposals.models import Proposal, ProposalState, Support
from tests import factories
from tests.proposals.conftest import NOW, make_consultation, make_proposal

ROLES = ("anonymous", "resident", "verified", "suspended", "author", "staff", "other_staff", "admin")
CSTATES = ("draft", "open", "closed")
PSTATES = (
    ProposalState.PUBLISHED,
    ProposalState.UNDER_EVALUATION,
    ProposalState.ACCEPTED,
    ProposalState.REJECTED,
    ProposalState.IMPLEMENTED,
    ProposalState.WITHDRAWN,
)

ACTIVE = {"resident", "verified", "author", "staff", "other_staff", "admin"}


def expected(action: str, role: str, cstate: str, pstate: ProposalState, verified_only: bool = False) -> bool:
    supportable = pstate in (ProposalState.PUBLISHED, ProposalState.UNDER_EVALUATION)
    if action == "submit":
        return role in ACTIVE and cstate == "open"
    if action == "edit":  # nobody supported or commented yet
        return role == "author" and cstate == "open" and pstate == ProposalState.PUBLISHED
    if action == "withdraw":
        return role == "author" and supportable
    if action == "support":
        allowed = role in ACTIVE - {"author"} and cstate == "open" and supportable
        return allowed and (role == "verified" or not verified_only)
    if action == "answer":
        return (
            role in ("staff", "admin")
            and cstate in ("open", "closed")
            and pstate not in (ProposalState.IMPLEMENTED, ProposalState.WITHDRAWN)
        )
    raise AssertionError(action)


class AnonymousUser:
    is_authenticated = False
    id = None
    is_verified = False
    department_ids = frozenset()
    is_admin = False


@pytest.fixture
def people(session, department, other_department):
    author = factories.UserFactory(display_name="Author")
    return {
        "anonymous": AnonymousUser(),
        "resident": factories.UserFactory(),
        "verified": factories.UserFactory(verified=True),
        "suspended": factories.UserFactory(suspended=True),
        "author": author,
        "staff": factories.UserFactory(staff_of=department),
        "other_staff": factories.UserFactory(staff_of=other_department),
        "admin": factories.UserFactory(admin=True),
    }


@pytest.mark.parametrize("verified_only", [False, True])
def test_permission_matrix(frozen, department, people, verified_only):
    checked = 0
    for cstate in CSTATES:
        consultation = make_consultation(department, cstate, verified_only=verified_only)
        settings = services.settings_for(consultation.id)
        for pstate in PSTATES:
            proposal = make_proposal(consultation, people["author"], pstate)
            proposal = services.get_proposal(proposal.id)
            for role in ROLES:
                user = people[role]
                actual = {
                    "submit": permissions.can_submit(user, consultation, settings),
                    "edit": permissions.can_edit(user, proposal, settings),
                    "withdraw": permissions.can_withdraw(user, proposal),
                    "support": permissions.can_support(user, proposal, settings),
                    "answer": permissions.can_answer(user, proposal),
                }
                for action, value in actual.items():
                    want = expected(action, role, cstate, pstate, verified_only)
                    assert value is want, (action, role, cstate, pstate.value, verified_only)
                    checked += 1
    assert checked == len(CSTATES) * len(PSTATES) * len(ROLES) * 5


def test_drafts_and_hidden_consultations_are_not_visible_to_others(frozen, department, people):
    open_c = make_consultation(department, "open")
    draft_c = make_consultation(department, "draft")
    draft_id = make_proposal(open_c, people["author"], ProposalState.DRAFT).id
    in_draft_id = make_proposal(draft_c, people["author"]).id
    draft, in_draft = services.get_proposal(draft_id), services.get_proposal(in_draft_id)
    for role in ROLES:
        assert permissions.can_view(people[role], draft) is (role == "author"), role
        # A consultation still in draft: only its department's staff and admins see it.
        assert permissions.can_view(people[role], in_draft) is (role in ("staff", "admin")), role


def test_edit_and_submit_follow_the_clock(department, people):
    """Effective state: open until closes_at passes, whatever the stored state says."""
    with time_machine.travel(NOW, tick=False):
        consultation = make_consultation(department, "open")
        proposal = services.get_proposal(make_proposal(consultation, people["author"]).id)
        settings = services.settings_for(consultation.id)
        assert permissions.can_submit(people["resident"], consultation, settings)
        assert permissions.can_edit(people["author"], proposal, settings)
        assert permissions.can_support(people["resident"], proposal, settings)
    with time_machine.travel(consultation.closes_at + timedelta(minutes=1), tick=False):
        assert not permissions.can_submit(people["resident"], consultation, settings)
        assert not permissions.can_edit(people["author"], proposal, settings)
        assert not permissions.can_support(people["resident"], proposal, settings)
        assert permissions.can_answer(people["staff"], proposal)
        assert permissions.can_withdraw(people["author"], proposal)


def test_a_consultation_that_does_not_accept_proposals_refuses_them(frozen, department, people):
    consultation = make_consultation(department, "open", accepts=False)
    settings = services.settings_for(consultation.id)
    assert not any(permissions.can_submit(people[r], consultation, settings) for r in ROLES)


def test_a_suspended_author_can_withdraw_but_not_edit(frozen, department, session):
    author = factories.UserFactory(suspended=True)
    consultation = make_consultation(department, "open")
    proposal = services.get_proposal(make_proposal(consultation, author).id)
    settings = services.settings_for(consultation.id)
    assert permissions.can_withdraw(author, proposal)
    assert not permissions.can_edit(author, proposal, settings)


# ---- the same rules through HTTP ------------------------------------------------------------


def _status_for(client, method: str, url: str, data=None):
    response = client.open(url, method=method, data=data or {})
    return response.status_code, response.headers.get("Location", "")


@pytest.mark.parametrize("role", ROLES)
def test_http_matrix_on_an_open_consultation(frozen, client, login, department, people, role):
    consultation = make_consultation(department, "open")
    user = people[role]
    if role != "anonymous":
        login(user)
    pstate = ProposalState.PUBLISHED

    def fresh() -> Proposal:
        return make_proposal(consultation, people["author"], pstate, title=f"Idea {role}")

    def check(action: str, method: str, url: str, data=None):
        status, location = _status_for(client, method, url, data)
        want = expected(action, role, "open", pstate)
        if want:
            assert status in (200, 302), (action, role, status)
            assert "/sign-in" not in location
        elif role == "anonymous":
            assert status == 302 and "/sign-in" in location, (action, role, status, location)
        else:
            assert status == 403, (action, role, status)
        return want

    check("submit", "GET", f"/consultations/{consultation.id}/proposals/new")
    p = fresh()
    check("edit", "GET", f"/proposals/{p.id}/edit")
    p = fresh()
    if check("support", "POST", f"/proposals/{p.id}/support"):
        assert db.session.get(Proposal, p.id).support_count == 1
        assert db.session.query(Support).filter_by(proposal_id=p.id, user_id=user.id).count() == 1
    else:
        assert db.session.get(Proposal, p.id).support_count == 0
    p = fresh()
    if check("withdraw", "POST", f"/proposals/{p.id}/withdraw"):
        assert db.session.get(Proposal, p.id).state == ProposalState.WITHDRAWN
    else:
        assert db.session.get(Proposal, p.id).state == pstate
    p = fresh()
    data = {"state": "accepted", "text_en": "We will plant the trees next spring."}
    if check("answer", "POST", f"/proposals/{p.id}/answer", data):
        assert db.session.get(Proposal, p.id).state == ProposalState.ACCEPTED
    else:
        assert db.session.get(Proposal, p.id).state == pstate


def test_http_refuses_everything_but_answers_after_closing(department, client, login, people):
    with time_machine.travel(NOW, tick=False):
        consultation = make_consultation(department, "open")
        p = make_proposal(consultation, people["author"])
    with time_machine.travel(consultation.closes_at + timedelta(hours=1), tick=False):
        login(people["resident"])
        assert client.post(f"/proposals/{p.id}/support").status_code == 403
        assert client.get(f"/consultations/{consultation.id}/proposals/new").status_code == 403
        login(people["staff"])
        response = client.post(
            f"/proposals/{p.id}/answer", data={"state": "rejected", "text_en": "Not possible here."}
        )
        assert response.status_code == 302
        assert db.session.get(Proposal, p.id).state == ProposalState.REJECTED


def test_other_departments_and_visitors_get_404_for_hidden_pages(frozen, client, login, department, people):
    draft_c = make_consultation(department, "draft")
    p = make_proposal(draft_c, people["author"])
    for role in ("anonymous", "resident", "other_staff"):
        if role != "anonymous":
            login(people[role])
        assert client.get(f"/proposals/{p.id}").status_code == 404, role
        assert client.get(f"/consultations/{draft_c.id}/proposals").status_code == 404, role
    login(people["staff"])
    assert client.get(f"/proposals/{p.id}").status_code == 200

