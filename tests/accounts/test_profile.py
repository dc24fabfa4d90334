"""Public profiles: name, member since and roles; never the email; closed accounts hidden."""

from __future__ import annotations

import pytest

from civic.accounts.models import AccountStatus, DepartmentMembership
from civic.extensions import db
from tests.factories import DepartmentFactory, UserFactory


def test_profile_shows_name_and_member_since_but_not_the_email(client, resident):
    response = client.get(f"/people/{resident.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Amaia Etxeberria</h1>" in html
    assert "Member since" in html
    assert resident.email not in html
    assert "Change your account settings" not in html


def test_owner_sees_a_link_to_settings_and_still_no_email(client, login, resident):
    login(resident)
    html = client.get(f"/people/{resident.id}").get_data(as_text=True)
    assert 'href="/account"' in html and "Change your account settings" in html
    assert resident.email not in html.split("<main", 1)[1]


def test_role_badges(client, staff, department, moderator, verified_resident, admin):
    html = client.get(f"/people/{staff.id}").get_data(as_text=True)
    name = department.name_translations["en"]
    assert f"Department staff: {name}" in html
    french = client.get(f"/people/{staff.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert department.name_translations["fr"] in french
    assert "Moderator" in client.get(f"/people/{moderator.id}").get_data(as_text=True)
    assert "Administrator" in client.get(f"/people/{admin.id}").get_data(as_text=True)
    assert "Verified resident" in client.get(f"/people/{verified_resident.id}").get_data(as_text=True)


def test_department_name_in_another_language_is_marked(client, session):
    department = DepartmentFactory(name_translations={"es": "Urbanismo"}, default_locale="es")
    person = UserFactory(staff_of=department)
    html = client.get(f"/people/{person.id}").get_data(as_text=True)
    assert '<span lang="es" dir="ltr">Urbanismo</span>' in html


def test_plain_residents_have_no_roles_section(client, resident):
    assert "<h2>" not in client.get(f"/people/{resident.id}").get_data(as_text=True).split("<main", 1)[1]


@pytest.mark.parametrize("status", [AccountStatus.DISABLED, AccountStatus.BANNED])
def test_closed_accounts_are_not_found_except_by_administrators(client, login, session, resident, admin, status):
    closed = UserFactory(status=status)
    assert client.get(f"/people/{closed.id}").status_code == 404
    login(resident)
    assert client.get(f"/people/{closed.id}").status_code == 404
    login(admin)
    response = client.get(f"/people/{closed.id}")
    assert response.status_code == 200
    label = {AccountStatus.DISABLED: "Disabled", AccountStatus.BANNED: "Banned"}[status]
    assert f"Account status: {label}" in response.get_data(as_text=True)


def test_suspended_accounts_stay_visible(client, suspended_resident):
    assert client.get(f"/people/{suspended_resident.id}").status_code == 200


def test_unknown_person_is_404(client):
    assert client.get("/people/999999").status_code == 404


def test_profile_query_count_is_bounded_whatever_the_number_of_departments(client, login, session, resident, count_queries):
    person = UserFactory()
    departments = [DepartmentFactory() for _ in range(6)]
    url = f"/people/{person.id}"
    login(resident)
    client.get(url)  # warm up

    db.session.add(DepartmentMembership(user_id=person.id, department_id=departments[0].id))
    db.session.commit()
    with count_queries() as one:
        assert client.get(url).status_code == 200

    for department in departments[1:]:
        db.session.add(DepartmentMembership(user_id=person.id, department_id=department.id))
    db.session.commit()
    with count_queries() as six:
        html = client.get(url).get_data(as_text=True)
    assert html.count("Department staff:") == 6
    assert six.count == one.count
    # The person with their departments (2), the signed-in viewer (2), and room for the
    # header's unread-notification count.
    assert six.count <= 6, six.statements
