"""Role × state matrix for viewing, editing, answering and publishing the report, over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.consultations import permissions as perms
from civic.consultations.models import Answer, ConsultationState, QuestionKind
from civic.extensions import db
from tests.consultations.conftest import make_consultation, make_question

ROLES = ["anonymous", "resident", "verified_resident", "staff", "other_staff", "admin"]
STATES = ["draft", "scheduled", "open", "closed", "concluded"]

OK, LOGIN, FORBIDDEN, NOT_FOUND = "ok", "login", "forbidden", "not found"


def expected(role: str, state: str) -> dict[str, str]:
    hidden = state in ("draft", "scheduled")
    department_staff = role in ("staff", "admin")
    signed_in = role != "anonymous"

    def refused():
        if hidden:
            return NOT_FOUND
        return FORBIDDEN if signed_in else LOGIN

    view = OK if (not hidden or department_staff) else NOT_FOUND
    edit = OK if department_staff else refused()
    if state == "open":
        answer = OK if signed_in else LOGIN
    elif department_staff:
        answer = FORBIDDEN
    else:
        answer = refused()
    if department_staff:
        publish = OK if state == "closed" else FORBIDDEN
    else:
        publish = refused()
    return {"view": view, "edit": edit, "answer": answer, "publish": publish}


def outcome(response) -> str:
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 302 and "/sign-in" in response.headers["Location"]:
        return LOGIN
    if response.status_code in (200, 302):
        return OK
    return f"unexpected {response.status_code}"


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(request, client, login, department, state, role):
    consultation = make_consultation(department, state, report="<p>What we will do.</p>")
    question = make_question(consultation, QuestionKind.SINGLE)
    option_id = question.options[0].id
    cid = consultation.id
    user = None
    if role != "anonymous":
        user = request.getfixturevalue(role)
        login(user)
    want = expected(role, state)

    got = {
        "view": outcome(client.get(f"/consultations/{cid}")),
        "edit": outcome(client.get(f"/consultations/{cid}/manage")),
        "answer": outcome(client.post(f"/consultations/{cid}/answers", data={f"q_{question.id}": option_id})),
        "publish": outcome(client.post(f"/consultations/{cid}/report/publish")),
    }
    assert got == want

    answers = db.session.execute(select(func.count()).select_from(Answer)).scalar_one()
    assert answers == (1 if want["answer"] == OK else 0)
    db.session.expire_all()
    stored = db.session.get(type(consultation), cid).state
    if want["publish"] == OK:
        assert stored == ConsultationState.CONCLUDED
    else:
        assert stored == ConsultationState(state)


@pytest.mark.parametrize("state", STATES)
def test_permission_functions_agree_with_the_matrix(request, department, state):
    """The same matrix, on the plain functions templates use."""
    consultation = make_consultation(department, state)
    for role in ROLES:
        user = None if role == "anonymous" else request.getfixturevalue(role)
        if user is None:
            from civic.core.permissions import AnonymousUser

            user = AnonymousUser()
        want = expected(role, state)
        assert perms.can_view(user, consultation) == (want["view"] == OK), role
        assert perms.can_edit(user, consultation) == (want["edit"] == OK), role
        assert perms.can_answer(user, consultation) == (want["answer"] == OK), role
        assert perms.can_publish_report(user, consultation) == (want["publish"] == OK), role


def test_suspended_and_unconfirmed_people_cannot_answer(client, login, department, suspended_resident, unconfirmed_resident):
    consultation = make_consultation(department, "open")
    question = make_question(consultation)
    for person in (suspended_resident, unconfirmed_resident):
        assert not perms.can_answer(person, consultation)
    login(unconfirmed_resident)
    response = client.post(f"/consultations/{consultation.id}/answers", data={f"q_{question.id}": question.options[0].id})
    assert response.status_code == 403
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0


def test_staff_pages_refuse_other_departments(client, login, department, other_staff):
    consultation = make_consultation(department, "open")
    login(other_staff)
    cid = consultation.id
    for path in (f"/consultations/{cid}/settings", f"/consultations/{cid}/dates", f"/consultations/{cid}/text/en",
                 f"/consultations/{cid}/sections/new", f"/consultations/{cid}/documents/new",
                 f"/consultations/{cid}/export.csv", f"/consultations/{cid}/export.json"):
        assert client.get(path).status_code == 403, path
    assert client.post(f"/consultations/{cid}/close").status_code == 403


def test_new_consultation_needs_staff(client, login, resident, staff):
    assert "/sign-in" in client.get("/consultations/new").headers["Location"]
    login(resident)
    assert client.get("/consultations/new").status_code == 403
    login(staff)
    assert client.get("/consultations/new").status_code == 200


def test_topics_and_areas_are_for_administrators(client, login, staff, admin):
    login(staff)
    assert client.get("/consultations/taxonomy/topics").status_code == 403
    login(admin)
    assert client.get("/consultations/taxonomy/topics").status_code == 200
    response = client.post("/consultations/taxonomy/topics/new", data={"slug": "cycling", "name_en": "Cycling", "name_fr": "Vélo"})
    assert response.status_code == 302
    page = client.get("/consultations/taxonomy/topics").get_data(as_text=True)
    assert "Cycling" in page and 'lang="fr"' in page
