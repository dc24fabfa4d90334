"""Administration: permissions, people, roles and statuses, departments, outbox, query counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from civic.accounts.models import (
    AccountStatus,
    Department,
    DepartmentMembership,
    Role,
    UserSession,
)
from civic.extensions import db
from civic.mail.models import OutboxMessage
from civic.notifications import services as notifications
from civic.notifications.models import EmailState, Notification, NotificationKind
from tests import factories

ADMIN_PAGES = [
    "/admin/",
    "/admin/users",
    "/admin/departments",
    "/admin/departments/new",
    "/admin/outbox",
]


def _notifications_of(person):
    return db.session.execute(
        select(Notification).where(Notification.recipient_id == person.id).order_by(Notification.id)
    ).scalars().all()


# ---- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("who", ["resident", "moderator", "staff"])
def test_residents_moderators_and_staff_get_403(request, client, login, department, who):
    person = request.getfixturevalue(who)
    login(person)
    for path in [*ADMIN_PAGES, f"/admin/users/{person.id}", f"/admin/departments/{department.id}",
                 f"/admin/departments/{department.id}/edit"]:
        assert client.get(path).status_code == 403, path
    assert client.post(f"/admin/users/{person.id}/role", data={"role": "admin"}).status_code == 403
    db.session.expire_all()
    assert person.role != Role.ADMIN


def test_admin_pages_render(client, login, admin, resident, department):
    login(admin)
    for path in [*ADMIN_PAGES, f"/admin/users/{resident.id}", f"/admin/departments/{department.id}",
                 f"/admin/departments/{department.id}/edit"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.data.count(b"<h1") == 1, path


def test_dashboard_counts(client, login, admin, resident, moderator, department):
    login(admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert "3 accounts" in page  # resident, moderator, admin
    assert "1 department" in page


# ---- people ---------------------------------------------------------------------------------


def test_user_search_and_filters(client, login, admin, session):
    factories.UserFactory(display_name="Zainab Okafor", email="zainab@example.org")
    factories.UserFactory(display_name="Mateo Rossi", email="mateo@city.example", role=Role.MODERATOR)
    factories.UserFactory(display_name="Ines Duarte", status=AccountStatus.BANNED)
    login(admin)
    page = client.get("/admin/users?q=zain").get_data(as_text=True)
    assert "Zainab Okafor" in page and "Mateo Rossi" not in page
    page = client.get("/admin/users?q=CITY.example").get_data(as_text=True)
    assert "Mateo Rossi" in page and "Zainab Okafor" not in page
    page = client.get("/admin/users?role=moderator").get_data(as_text=True)
    assert "Mateo Rossi" in page and "Zainab Okafor" not in page
    page = client.get("/admin/users?status=banned").get_data(as_text=True)
    assert "Ines Duarte" in page and "Mateo Rossi" not in page
    page = client.get("/admin/users?q=%25").get_data(as_text=True)  # LIKE wildcards are literal
    assert "0 people found" in page


def test_role_change_notifies_the_person(client, login, admin, resident, outbox):
    login(admin)
    response = client.post(f"/admin/users/{resident.id}/role", data={"role": "moderator"})
    assert response.status_code == 302
    db.session.expire_all()
    assert resident.role == Role.MODERATOR
    [n] = _notifications_of(resident)
    assert n.kind == NotificationKind.ROLE_CHANGED and n.params["role"] == "moderator"
    assert n.actor_id == admin.id
    assert n.email_state == EmailState.SENT  # the email job ran after the request


def test_role_change_email(session, admin, resident, outbox):
    from civic.admin.services import change_role
    from civic.core.jobs import run_ready_jobs

    assert change_role(resident, Role.ADMIN, admin) is True
    db.session.commit()
    run_ready_jobs()
    assert [m["to"] for m in outbox] == [resident.email]
    assert "Administrator" in outbox[0]["subject"]
    assert change_role(resident, Role.ADMIN, admin) is False  # no change, no notification


def test_the_last_active_admin_cannot_demote_themself(client, login, admin):
    login(admin)
    response = client.post(f"/admin/users/{admin.id}/role", data={"role": "resident"})
    assert response.status_code == 400
    assert b"last active administrator" in response.data
    db.session.expire_all()
    assert admin.role == Role.ADMIN


def test_an_admin_may_step_down_when_another_remains(client, login, admin):
    factories.UserFactory(admin=True)
    login(admin)
    assert client.post(f"/admin/users/{admin.id}/role", data={"role": "moderator"}).status_code == 302
    db.session.expire_all()
    assert admin.role == Role.MODERATOR


def test_last_admin_rule_counts_only_active_admins(session, admin):
    from civic.admin.services import change_role
    from civic.core.errors import Conflict

    factories.UserFactory(admin=True, status=AccountStatus.DISABLED)
    with pytest.raises(Conflict):
        change_role(admin, Role.RESIDENT, admin)


def test_suspension_until_a_date_ends_sessions_and_notifies(client, login, admin, resident, outbox):
    from tests.conftest import sign_in

    with time_machine.travel(datetime(2030, 5, 1, 12, 0, tzinfo=UTC), tick=False):
        other = type(client)(client.application)
        sign_in(other, resident)
        login(admin)
        response = client.post(
            f"/admin/users/{resident.id}/status", data={"status": "suspended", "until": "2030-05-10"}
        )
    assert response.status_code == 302
    db.session.expire_all()
    assert resident.status == AccountStatus.SUSPENDED
    # Midnight in the admin's zone (Europe/Paris, UTC+2 in May) is 22:00 UTC the day before.
    assert resident.suspended_until == datetime(2030, 5, 9, 22, 0, tzinfo=UTC)
    assert db.session.execute(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == resident.id)
    ).scalar_one() == 0
    [n] = _notifications_of(resident)
    assert n.kind == NotificationKind.ACCOUNT_SECURITY and n.params["status"] == "suspended"
    assert n.email_state == EmailState.SENT


def test_status_refuses_a_date_in_the_past(client, login, admin, resident):
    login(admin)
    response = client.post(f"/admin/users/{resident.id}/status", data={"status": "suspended", "until": "2001-01-01"})
    assert response.status_code == 400
    db.session.expire_all()
    assert resident.status == AccountStatus.ACTIVE


def test_admin_cannot_disable_themself(client, login, admin):
    login(admin)
    response = client.post(f"/admin/users/{admin.id}/status", data={"status": "disabled"})
    assert response.status_code == 400
    db.session.expire_all()
    assert admin.status == AccountStatus.ACTIVE


def test_verify_and_unverify(client, login, admin, resident):
    login(admin)
    assert client.post(f"/admin/users/{resident.id}/verify").status_code == 302
    db.session.expire_all()
    assert resident.is_verified
    assert client.post(f"/admin/users/{resident.id}/unverify").status_code == 302
    db.session.expire_all()
    assert not resident.is_verified
    assert [n.params["change"] for n in _notifications_of(resident)] == ["verified", "unverified"]


def test_memberships_from_the_user_page(client, login, admin, resident, department):
    login(admin)
    page = client.get(f"/admin/users/{resident.id}").get_data(as_text=True)
    assert f'<option value="{department.id}">' in page
    assert client.post(f"/admin/users/{resident.id}/departments", data={"department": department.id}).status_code == 302
    again = client.post(f"/admin/users/{resident.id}/departments", data={"department": department.id})
    assert again.status_code == 400
    db.session.expire_all()
    assert resident.department_ids == {department.id}
    assert client.post(f"/admin/users/{resident.id}/departments/{department.id}/remove").status_code == 302
    db.session.expire_all()
    assert resident.department_ids == frozenset()
    changes = [(n.params["change"], n.department_id) for n in _notifications_of(resident)]
    assert changes == [("joined_department", department.id), ("left_department", department.id)]


# ---- departments ------------------------------------------------------------------------------


def test_create_department_with_names_per_language(client, login, admin, app):
    login(admin)
    form = client.get("/admin/departments/new").get_data(as_text=True)
    for code in app.config["LANGUAGES"]:
        assert f'name="name_{code}"' in form
    assert 'lang="ar" dir="rtl"' in form
    data = {"slug": "urban-planning", "email": "Planning@City.example", "name_en": "Urban planning",
            "name_fr": "Urbanisme", "name_es": "", "name_ar": "التخطيط العمراني"}
    response = client.post("/admin/departments/new", data=data)
    assert response.status_code == 302
    dept = db.session.execute(select(Department).where(Department.slug == "urban-planning")).scalar_one()
    assert dept.name_translations == {"en": "Urban planning", "fr": "Urbanisme", "ar": "التخطيط العمراني"}
    assert dept.email == "planning@city.example"
    assert dept.default_locale == "en"


def test_department_needs_the_default_language_name_and_a_free_slug(client, login, admin, department):
    login(admin)
    missing = client.post("/admin/departments/new", data={"slug": "parks", "name_fr": "Parcs"})
    assert missing.status_code == 400
    assert b"error-summary" in missing.data and b"Parcs" in missing.data  # keeps what was typed
    taken = client.post("/admin/departments/new", data={"slug": department.slug, "name_en": "Parks"})
    assert taken.status_code == 400 and b"already uses" in taken.data
    bad = client.post("/admin/departments/new", data={"slug": "Parks & Gardens", "name_en": "Parks"})
    assert bad.status_code == 400
    assert db.session.execute(select(func.count()).select_from(Department)).scalar_one() == 1


def test_edit_department_notifies_followers(client, login, admin, department, resident):
    notifications.follow(resident, department)
    db.session.commit()
    login(admin)
    form = client.get(f"/admin/departments/{department.id}/edit").get_data(as_text=True)
    assert f'value="Service {department.slug}"' in form
    data = {"slug": department.slug, "name_en": "Roads", "name_fr": "Voirie", "email": ""}
    assert client.post(f"/admin/departments/{department.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    assert department.name_translations == {"en": "Roads", "fr": "Voirie"}
    [n] = _notifications_of(resident)
    assert n.kind == NotificationKind.DEPARTMENT_UPDATE and n.department_id == department.id
    # Saving without a change notifies nobody.
    client.post(f"/admin/departments/{department.id}/edit", data=data)
    assert len(_notifications_of(resident)) == 1


def test_department_members_add_by_email_and_remove(client, login, admin, department, resident):
    login(admin)
    response = client.post(f"/admin/departments/{department.id}/members", data={"email": resident.email.upper()})
    assert response.status_code == 302
    db.session.expire_all()
    assert resident.department_ids == {department.id}
    page = client.get(f"/admin/departments/{department.id}").get_data(as_text=True)
    assert resident.display_name in page
    unknown = client.post(f"/admin/departments/{department.id}/members", data={"email": "nobody@example.org"})
    assert unknown.status_code == 400 and b"No account uses this email address" in unknown.data
    assert client.post(f"/admin/departments/{department.id}/members/{resident.id}/remove").status_code == 302
    db.session.expire_all()
    assert resident.department_ids == frozenset()
    assert [n.params["change"] for n in _notifications_of(resident)] == ["joined_department", "left_department"]


# ---- outbox -----------------------------------------------------------------------------------


def test_outbox_lists_messages_and_escapes_the_text(client, login, admin):
    db.session.add(OutboxMessage(recipient="a@example.org", subject="Welcome <b>", body_text="Hi <script>alert(1)</script>"))
    db.session.commit()
    message = db.session.execute(select(OutboxMessage)).scalar_one()
    login(admin)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "for development" in page and "SMTP" in page
    assert "Welcome &lt;b&gt;" in page
    detail = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "Hi &lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "<script>alert" not in detail
    assert client.get("/admin/outbox/999999").status_code == 404


# ---- bounded queries -----------------------------------------------------------------------


def _queries(client, count_queries, path):
    with count_queries() as counter:
        response = client.get(path)
        assert response.status_code == 200, path
    return counter.count


def test_admin_lists_use_a_bounded_number_of_queries(client, login, admin, count_queries):
    login(admin)
    depts = [factories.DepartmentFactory() for _ in range(3)]
    main = depts[0]

    def grow(n):
        for i in range(n):
            person = factories.UserFactory()
            db.session.add(DepartmentMembership(user_id=person.id, department_id=main.id))
            db.session.add(DepartmentMembership(user_id=person.id, department_id=depts[i % 3].id)) if i % 3 else None
            db.session.add(OutboxMessage(recipient=person.email, subject=f"Hello {i}", body_text="Hi"))
        db.session.commit()

    grow(3)
    paths = ["/admin/users", "/admin/departments", f"/admin/departments/{main.id}", "/admin/outbox",
             "/admin/users?q=person&role=resident&status=active", "/admin/"]
    few = {p: _queries(client, count_queries, p) for p in paths}
    grow(27)
    for _ in range(17):
        factories.DepartmentFactory()
    many = {p: _queries(client, count_queries, p) for p in paths}
    assert many == few


def test_every_admin_and_notification_form_carries_a_csrf_token(app, database_url, session, admin, resident, department):
    from civic import create_app
    from tests.conftest import sign_in

    notifications.follow(resident, department)
    db.session.commit()
    strict = create_app({"CIVIC_ENV": "testing", "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database_url})
    client = strict.test_client()
    sign_in(client, admin)
    pages = [*ADMIN_PAGES, f"/admin/users/{resident.id}", f"/admin/departments/{department.id}",
             f"/admin/departments/{department.id}/edit", "/notifications/", "/notifications/preferences",
             "/notifications/following", "/notifications/following/departments"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert html.count('method="post"') == html.count('name="csrf_token"'), path
    refused = client.post(f"/admin/users/{resident.id}/role", data={"role": "admin"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert resident.role == Role.RESIDENT
