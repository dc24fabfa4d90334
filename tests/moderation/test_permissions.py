"""Who may do what: anonymous, resident, author, moderator, staff of the department, staff of
another department and administrator, for reporting, the queue, actions, appeals and the log."""

from __future__ import annotations

import pytest

from civic.core.errors import PermissionDenied
from civic.extensions import db
from civic.moderation import permissions, services
from civic.moderation.models import CaseState
from tests import factories
from tests.moderation.conftest import act, case_of, report

ROLES = ("anonymous", "resident", "author", "moderator", "staff", "other_staff", "admin")


@pytest.fixture
def people(resident, author, moderator, staff, other_staff, admin):
    return {
        "anonymous": None,
        "resident": resident,
        "author": author,
        "moderator": moderator,
        "staff": staff,
        "other_staff": other_staff,
        "admin": admin,
    }


@pytest.fixture
def reported(world, reporters):
    """The author's comment, reported once: an entry in the queue."""
    report(reporters[0], "comment", world.comment, "offensive_or_hateful")
    return case_of("comment", world.comment)


def _client_as(client, login, people, role):
    if people[role] is not None:
        login(people[role])
    return client


def _status(response) -> str:
    if response.status_code == 302 and "/sign-in" in response.headers.get("Location", ""):
        return "sign-in"
    return str(response.status_code)


REPORT_PAGE = {
    "anonymous": "sign-in", "resident": "200", "author": "403", "moderator": "200",
    "staff": "200", "other_staff": "200", "admin": "200",
}


@pytest.mark.parametrize("role", ROLES)
def test_report_page(client, login, people, world, role):
    c = _client_as(client, login, people, role)
    assert _status(c.get(f"/moderation/report/comments/{world.comment.id}")) == REPORT_PAGE[role]


QUEUE = {
    "anonymous": "sign-in", "resident": "403", "author": "403", "moderator": "200",
    "staff": "200", "other_staff": "200", "admin": "200",
}
#: Whether the entry about the author's comment is listed in their queue.
LISTED = {"moderator": True, "staff": True, "other_staff": False, "admin": True}


@pytest.mark.parametrize("role", ROLES)
def test_queue(client, login, people, reported, role):
    c = _client_as(client, login, people, role)
    response = c.get("/moderation/")
    assert _status(response) == QUEUE[role]
    if role in LISTED:
        assert (f'id="entry-{reported.id}"'.encode() in response.data) is LISTED[role]


CASE = {
    "anonymous": "sign-in", "resident": "403", "author": "403", "moderator": "200",
    "staff": "200", "other_staff": "403", "admin": "200",
}


@pytest.mark.parametrize("role", ROLES)
def test_case_page_and_acting_on_it(client, login, people, reported, world, role):
    c = _client_as(client, login, people, role)
    assert _status(c.get(f"/moderation/cases/{reported.id}")) == CASE[role]
    response = c.post(
        f"/moderation/cases/{reported.id}",
        data={"action": "hide", "reason": "Insults people.", "rule": "respect"},
    )
    expected = "302" if CASE[role] == "200" else CASE[role]
    assert _status(response) == expected
    db.session.expire_all()
    hidden = case_of("comment", world.comment).state == CaseState.DECIDED
    assert hidden is (expected == "302")


@pytest.mark.parametrize("role", ROLES)
def test_bulk_action_only_touches_entries_in_scope(client, login, people, reported, world, role):
    c = _client_as(client, login, people, role)
    response = c.post("/moderation/", data={"case_ids": [reported.id], "action": "dismiss"})
    if QUEUE[role] != "200":
        assert _status(response) == QUEUE[role]
    else:
        assert _status(response) == "302"
    db.session.expire_all()
    decided = case_of("comment", world.comment).state == CaseState.DECIDED
    assert decided is (CASE[role] == "200")


DECISION_PAGE = {
    "anonymous": "sign-in", "resident": "403", "author": "200", "moderator": "200",
    "staff": "200", "other_staff": "403", "admin": "200",
}
APPEAL = {
    "anonymous": "sign-in", "resident": "403", "author": "302", "moderator": "403",
    "staff": "403", "other_staff": "403", "admin": "403",
}


@pytest.mark.parametrize("role", ROLES)
def test_appeal(client, login, people, reported, moderator, world, role):
    act(moderator, reported, "hide", reason="Insults people.", rule="respect")
    c = _client_as(client, login, people, role)
    assert _status(c.get(f"/moderation/decisions/{reported.id}")) == DECISION_PAGE[role]
    response = c.post(f"/moderation/decisions/{reported.id}", data={"text": "I only criticised the plan."})
    assert _status(response) == APPEAL[role]
    db.session.expire_all()
    appealed = case_of("comment", world.comment).state == CaseState.APPEALED
    assert appealed is (role == "author")


LOG = {
    "anonymous": "sign-in", "resident": "403", "author": "403", "moderator": "403",
    "staff": "403", "other_staff": "403", "admin": "200",
}


@pytest.mark.parametrize("role", ROLES)
def test_log_and_export(client, login, people, reported, role):
    c = _client_as(client, login, people, role)
    assert _status(c.get("/moderation/admin/log")) == LOG[role]
    assert _status(c.get("/moderation/admin/log.csv")) == LOG[role]
    assert _status(c.get("/moderation/admin/words")) == LOG[role]
    assert _status(c.get("/moderation/admin/settings")) == LOG[role]


@pytest.mark.parametrize("role", ROLES)
def test_public_pages(client, login, people, role):
    c = _client_as(client, login, people, role)
    assert c.get("/moderation/rules").status_code == 200
    assert c.get("/moderation/transparency").status_code == 200


PREMODERATION = {
    "anonymous": "sign-in", "resident": "403", "author": "403", "moderator": "200",
    "staff": "200", "other_staff": "403", "admin": "200",
}


@pytest.mark.parametrize("role", ROLES)
def test_premoderation_setting(client, login, people, world, role):
    c = _client_as(client, login, people, role)
    assert _status(c.get(f"/moderation/consultations/{world.consultation.id}")) == PREMODERATION[role]


def test_nobody_moderates_their_own_content(world, reporters, moderator, staff, department):
    """Not even a moderator or the department's staff: refused by the service and hidden from
    their queue."""
    from tests.moderation.conftest import post

    mine = post(moderator, world.consultation, "A moderator's own opinion.")
    report(reporters[0], "comment", mine, "off_topic")
    case = case_of("comment", mine)
    assert not permissions.can_moderate_case(moderator, case)
    with pytest.raises(PermissionDenied):
        services.act(moderator, case, "dismiss")
    db.session.rollback()
    ids = [c.id for c in db.session.execute(services.queue_query(moderator, services.QueueFilters())).scalars()]
    assert case.id not in ids
    # Reports about oneself (a profile) are refused too.
    report(reporters[1], "user", staff, "spam")
    about_staff = case_of("user", staff)
    with pytest.raises(PermissionDenied):
        services.act(staff, about_staff, "dismiss")
    db.session.rollback()
    # Department staff never moderate profiles, even of others.
    other = factories.UserFactory()
    report(reporters[1], "user", other, "spam")
    assert not permissions.can_moderate_case(staff, case_of("user", other))
    assert permissions.can_moderate_case(moderator, case_of("user", other))


def test_self_moderation_refused_over_http(client, login, world, reporters, moderator):
    from tests.moderation.conftest import post

    mine = post(moderator, world.consultation, "A moderator's own opinion.")
    report(reporters[0], "comment", mine, "off_topic")
    case = case_of("comment", mine)
    login(moderator)
    assert client.get(f"/moderation/cases/{case.id}").status_code == 403
    response = client.post("/moderation/", data={"case_ids": [case.id], "action": "dismiss"})
    assert response.status_code == 302
    db.session.expire_all()
    assert case_of("comment", mine).state == CaseState.PENDING


def test_only_administrators_suspend_or_ban(world, reported, moderator, admin, author):
    with pytest.raises(PermissionDenied):
        services.act(moderator, reported, "ban", reason="Repeated insults.", rule="respect")
    db.session.rollback()
    services.act(admin, reported, "suspend", reason="Repeated insults.", rule="respect", days=7)
    db.session.commit()
    db.session.refresh(author)
    assert author.status.value == "suspended"
