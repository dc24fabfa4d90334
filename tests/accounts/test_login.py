"""Signing in and out: one message for every failure, remember me, server-side sign-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from civic import create_app
from civic.accounts import services
from civic.accounts.models import AccountStatus, UserSession
from civic.accounts.passwords import verify_password
from civic.core.time import utcnow
from tests.accounts.conftest import form_error_summary, reload, session_rows, sign_in_with_form
from tests.factories import TEST_PASSWORD, UserFactory


def test_sign_in_page_has_autocomplete_and_links(client):
    html = client.get("/sign-in").get_data(as_text=True)
    assert 'autocomplete="email"' in html and 'autocomplete="current-password"' in html
    assert 'href="/password/forgot"' in html and 'href="/register"' in html


def test_sign_in_creates_a_server_side_session(client, resident):
    response = sign_in_with_form(client, resident.email, TEST_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert session_rows(resident.id) == 1
    assert client.get("/account").status_code == 200
    assert reload(resident).last_login_at is not None


def test_email_is_not_case_sensitive(client, resident):
    assert sign_in_with_form(client, resident.email.upper(), TEST_PASSWORD).status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, resident, monkeypatch):
    calls = []
    real = services.verify_password

    def spy(stored_hash, password):
        calls.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(services, "verify_password", spy)
    wrong = sign_in_with_form(client, resident.email, "not the password at all")
    unknown = sign_in_with_form(client, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 200
    wrong_summary = form_error_summary(wrong.get_data(as_text=True))
    assert wrong_summary == form_error_summary(unknown.get_data(as_text=True))
    assert "email address or the password is not right" in wrong_summary
    # The unknown address still costs a full hash, so timing does not tell either.
    assert calls[0] is not None and calls[1] is None
    assert session_rows(resident.id) == 0
    assert 'value="nobody@example.org"' in unknown.get_data(as_text=True)  # kept, as typed


def test_remember_me_sets_a_long_lived_cookie(app, resident):
    remembered = app.test_client()
    sign_in_with_form(remembered, resident.email, TEST_PASSWORD, remember="y")
    cookie = remembered.get_cookie(app.config["REMEMBER_COOKIE_NAME"])
    assert cookie is not None and cookie.http_only
    row = services.db.session.execute(select(UserSession)).scalar_one()
    assert row.remember
    assert row.expires_at - row.created_at == app.config["REMEMBER_COOKIE_DURATION"]

    plain = app.test_client()
    sign_in_with_form(plain, resident.email, TEST_PASSWORD)
    assert plain.get_cookie(app.config["REMEMBER_COOKIE_NAME"]) is None


def test_remember_cookie_alone_signs_back_in(app, resident):
    client = app.test_client()
    sign_in_with_form(client, resident.email, TEST_PASSWORD, remember="y")
    remember = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value
    fresh = app.test_client()
    fresh.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember)
    assert fresh.get("/account").status_code == 200


def test_sign_out_ends_the_session_on_the_server(app, resident):
    client = app.test_client()
    sign_in_with_form(client, resident.email, TEST_PASSWORD, remember="y")
    session_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    remember_cookie = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value
    assert client.get("/account").status_code == 200

    response = client.post("/sign-out")
    assert response.status_code == 302
    assert session_rows(resident.id) == 0
    assert client.get("/account").status_code == 302

    # Someone who copied the cookies before the sign-out cannot use them.
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], session_cookie)
    denied = thief.get("/account")
    assert denied.status_code == 302 and "/sign-in" in denied.headers["Location"]
    thief = app.test_client()
    thief.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie)
    assert thief.get("/account").status_code == 302


def test_sign_out_is_a_post(client, login, resident):
    login(resident)
    assert client.get("/sign-out").status_code == 405
    assert client.get("/account").status_code == 200


def test_sign_out_checks_the_csrf_token(app, database_url, resident):
    strict = create_app({"CIVIC_ENV": "testing", "WTF_CSRF_ENABLED": True,
                         "SQLALCHEMY_DATABASE_URI": database_url})
    client = strict.test_client()
    html = client.get("/sign-in").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/sign-in", data={"email": resident.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert session_rows(resident.id) == 1
    assert client.post("/sign-out").status_code == 400
    assert session_rows(resident.id) == 1
    html = client.get("/account").get_data(as_text=True)
    token = html.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert session_rows(resident.id) == 0
    with strict.app_context():
        services.db.engine.dispose()


def test_next_is_followed_only_when_local(client, resident):
    page = client.get("/sign-in?next=/account/password").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/password"' in page
    response = sign_in_with_form(client, resident.email, TEST_PASSWORD, next="/account/password")
    assert response.headers["Location"] == "/account/password"
    client.post("/sign-out")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = sign_in_with_form(client, resident.email, TEST_PASSWORD, next=evil)
        assert response.headers["Location"] == "/", evil
        client.post("/sign-out")
    assert 'value="https://evil.example/"' not in client.get("/sign-in?next=https://evil.example/").get_data(as_text=True)


def test_protected_pages_send_people_to_sign_in_and_back(client, resident):
    response = client.get("/account/sessions")
    assert response.status_code == 302
    login_page = response.headers["Location"]
    assert login_page.startswith("/sign-in?next=")
    html = client.get(login_page).get_data(as_text=True)
    assert 'value="/account/sessions"' in html


@pytest.mark.parametrize("status", [AccountStatus.DISABLED, AccountStatus.BANNED])
def test_closed_accounts_cannot_sign_in(client, session, status):
    user = UserFactory(status=status)
    wrong = sign_in_with_form(client, user.email, "not the password at all")
    assert "email address or the password is not right" in form_error_summary(wrong.get_data(as_text=True))
    right = sign_in_with_form(client, user.email, TEST_PASSWORD)
    assert right.status_code == 200
    assert "This account is closed" in form_error_summary(right.get_data(as_text=True))
    assert session_rows(user.id) == 0


def test_suspended_account_is_told_until_when(client, suspended_resident):
    response = sign_in_with_form(client, suspended_resident.email, TEST_PASSWORD)
    assert "suspended until" in form_error_summary(response.get_data(as_text=True))
    assert session_rows(suspended_resident.id) == 0


def test_a_finished_suspension_is_lifted_at_sign_in(client, session):
    user = UserFactory(status=AccountStatus.SUSPENDED, suspended_until=utcnow() - timedelta(hours=1))
    assert sign_in_with_form(client, user.email, TEST_PASSWORD).status_code == 302
    user = reload(user)
    assert user.status == AccountStatus.ACTIVE and user.suspended_until is None


def test_outdated_password_hash_is_replaced_at_sign_in(client, session):
    old_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(TEST_PASSWORD)
    user = UserFactory(password_hash=old_hash)
    assert sign_in_with_form(client, user.email, TEST_PASSWORD).status_code == 302
    new_hash = reload(user).password_hash
    assert new_hash != old_hash
    assert "m=1024,t=1" in new_hash  # the current (testing) parameters
    assert verify_password(new_hash, TEST_PASSWORD)


def test_absurdly_long_password_is_refused_without_hashing(client, resident, monkeypatch):
    monkeypatch.setattr(services, "verify_password", lambda *a: pytest.fail("hashed"))
    response = sign_in_with_form(client, resident.email, "x" * 5000)
    assert "email address or the password is not right" in form_error_summary(response.get_data(as_text=True))


def test_signed_in_people_skip_the_sign_in_page(client, login, resident):
    login(resident)
    assert client.get("/sign-in?next=/account").headers["Location"] == "/account"
