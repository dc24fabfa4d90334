"""Idle and absolute session lifetimes, on the server; signing out everywhere."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic.accounts.models import UserSession
from civic.extensions import db
from tests import factories
from tests.accounts.conftest import session_rows
from tests.security.conftest import sign_in, signed_in


def test_a_session_ends_after_the_idle_timeout(app, resident, clock):
    client = app.test_client()
    assert sign_in(client, resident.email).status_code == 302
    idle = app.config["SESSION_IDLE_TIMEOUT"]
    clock.shift(idle - timedelta(minutes=1))
    assert signed_in(client)  # activity: last seen moves on
    clock.shift(idle - timedelta(minutes=1))
    assert signed_in(client)
    clock.shift(idle + timedelta(seconds=1))
    assert not signed_in(client)
    assert session_rows(resident.id) == 0  # deleted on the server, not only forgotten


def test_an_active_session_still_ends_at_its_absolute_lifetime(app, resident, clock):
    client = app.test_client()
    sign_in(client, resident.email)
    absolute = app.config["PERMANENT_SESSION_LIFETIME"]
    step = app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=10)
    elapsed = timedelta(0)
    while elapsed + step < absolute:
        clock.shift(step)
        elapsed += step
        assert signed_in(client), elapsed
    clock.shift(absolute - elapsed + timedelta(seconds=1))
    assert not signed_in(client)
    assert session_rows(resident.id) == 0


def test_remember_me_has_no_idle_timeout_but_an_absolute_lifetime(app, resident, clock):
    client = app.test_client()
    sign_in(client, resident.email, remember="y")
    remember_cookie = client.get_cookie(app.config["REMEMBER_COOKIE_NAME"]).value
    row = db.session.execute(select(UserSession).where(UserSession.user_id == resident.id)).scalar_one()
    assert row.remember and row.expires_at - row.created_at == app.config["REMEMBER_COOKIE_DURATION"]
    clock.shift(timedelta(days=10))  # idle far longer than the idle timeout
    assert signed_in(client)
    clock.shift(app.config["REMEMBER_COOKIE_DURATION"] - timedelta(days=10) + timedelta(seconds=1))
    assert not signed_in(client)
    # the remember cookie alone cannot bring it back
    fresh = app.test_client()
    fresh.set_cookie(app.config["REMEMBER_COOKIE_NAME"], remember_cookie)
    assert not signed_in(fresh)


def test_sign_out_everywhere_includes_this_device(app, login, client, resident):
    other_device = app.test_client()
    sign_in(other_device, resident.email)
    login(resident)
    assert session_rows(resident.id) == 2
    page = client.get("/account/sessions").get_data(as_text=True)
    assert 'action="/account/sessions/end-all"' in page and "Sign out everywhere else" in page
    response = client.post("/account/sessions/end-all")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert session_rows(resident.id) == 0
    assert not signed_in(client) and not signed_in(other_device)


def test_sign_out_everywhere_else_keeps_this_device(app, login, client, resident):
    other_device = app.test_client()
    sign_in(other_device, resident.email)
    login(resident)
    client.post("/account/sessions/end-others")
    assert signed_in(client) and not signed_in(other_device)


def test_sessions_of_others_are_untouched(app, login, client, resident):
    someone = factories.UserFactory()
    theirs = app.test_client()
    sign_in(theirs, someone.email)
    login(resident)
    client.post("/account/sessions/end-all")
    assert signed_in(theirs)
