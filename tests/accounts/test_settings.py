"""Account settings: email and password changes, profile, signed-in devices."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import UserSession
from civic.accounts.passwords import verify_password
from civic.extensions import db
from tests.accounts.conftest import form_error_summary, mails_to, only_link, reload, session_rows
from tests.conftest import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

NEW_PASSWORD = "a lighthouse keeper's quiet evening"


def test_settings_pages_need_sign_in(client):
    for path in ("/account", "/account/profile", "/account/email", "/account/password", "/account/sessions"):
        response = client.get(path)
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"], path


def test_settings_overview_shows_the_account(client, login, resident):
    login(resident)
    html = client.get("/account").get_data(as_text=True)
    assert resident.email in html and resident.display_name in html
    assert html.count("<h1>") == 1
    assert 'aria-current="page"' in html


# ---- change email ------------------------------------------------------------------------


def test_changing_email_needs_the_current_password(client, login, resident, outbox):
    login(resident)
    response = client.post("/account/email", data={"email": "new@example.org", "current_password": "wrong one"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="#current_password"' in form_error_summary(html)
    assert 'value="new@example.org"' in html  # kept
    assert outbox == []
    assert reload(resident).email != "new@example.org"


def test_email_changes_only_when_the_link_to_the_new_address_is_followed(app, client, login, resident, outbox):
    old = resident.email
    login(resident)
    response = client.post("/account/email", data={"email": "New.Address@Example.org", "current_password": TEST_PASSWORD})
    assert response.status_code == 302
    assert reload(resident).email == old  # not yet
    [link_mail] = mails_to(outbox, "new.address@example.org")
    [notice] = mails_to(outbox, old)
    assert "new.address@example.org" in notice["text"]
    assert "/account/email/confirm/" not in notice["text"]
    link = only_link(link_mail)
    # The link can be opened on another device, signed out.
    other = app.test_client()
    page = other.get(link)
    assert page.status_code == 200 and "new.address@example.org" in page.get_data(as_text=True)
    assert reload(resident).email == old  # a GET changes nothing
    assert other.post(link).status_code == 302
    user = reload(resident)
    assert user.email == "new.address@example.org"
    assert user.email_confirmed_at is not None
    # Used once: the link is dead now, and so are links made before the change.
    assert other.post(link).status_code == 400
    # Signing in uses the new address.
    client.post("/sign-out")
    assert client.post("/sign-in", data={"email": "new.address@example.org", "password": TEST_PASSWORD}).status_code == 302


def test_changing_to_a_taken_address_reveals_nothing_and_tells_its_owner(client, login, resident, moderator, outbox):
    login(resident)
    response = client.post("/account/email", data={"email": moderator.email, "current_password": TEST_PASSWORD})
    assert response.status_code == 302
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"We have sent a link to {moderator.email}" in flashed
    assert [m["to"] for m in outbox] == [moderator.email]
    assert "/account/email/confirm/" not in outbox[0]["text"]
    assert reload(resident).email != moderator.email


def test_address_taken_after_the_link_was_sent_is_refused(client, login, resident, outbox, session):
    login(resident)
    client.post("/account/email", data={"email": "wanted@example.org", "current_password": TEST_PASSWORD})
    link = only_link(mails_to(outbox, "wanted@example.org")[0])
    UserFactory(email="wanted@example.org")
    response = client.post(link)
    assert response.status_code == 409
    assert reload(resident).email != "wanted@example.org"


def test_same_address_is_refused(client, login, resident, outbox):
    login(resident)
    response = client.post("/account/email", data={"email": resident.email, "current_password": TEST_PASSWORD})
    assert "already your email address" in form_error_summary(response.get_data(as_text=True))
    assert outbox == []


# ---- change password ---------------------------------------------------------------------


def _change_password(client, current=TEST_PASSWORD, new=NEW_PASSWORD):
    return client.post("/account/password", data={
        "current_password": current, "password": new, "password_confirm": new,
    })


def test_changing_password_needs_the_current_one(client, login, resident):
    login(resident)
    response = _change_password(client, current="not it")
    assert response.status_code == 200
    assert "current password is not right" in form_error_summary(response.get_data(as_text=True))
    assert verify_password(reload(resident).password_hash, TEST_PASSWORD)


def test_changing_password_ends_other_sessions_and_keeps_this_one(app, client, login, resident, outbox):
    login(resident)
    other_device = app.test_client()
    sign_in(other_device, resident, remember=True)
    someone_else = UserFactory()
    someone_elses_device = app.test_client()
    sign_in(someone_elses_device, someone_else)
    stamp = resident.security_stamp
    assert session_rows(resident.id) == 2

    response = _change_password(client)
    assert response.status_code == 302
    user = reload(resident)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.security_stamp == stamp + 1
    assert session_rows(resident.id) == 1
    assert client.get("/account").status_code == 200  # still signed in here
    assert other_device.get("/account").status_code == 302  # signed out there
    assert someone_elses_device.get("/account").status_code == 200  # other people untouched
    assert "password of your account" in mails_to(outbox, resident.email)[0]["text"]


def test_new_password_follows_the_policy(client, login, resident):
    login(resident)
    response = _change_password(client, new="12345678")
    assert "most common" in form_error_summary(response.get_data(as_text=True))
    response = _change_password(client, new=resident.display_name)
    assert "different from your email address" in form_error_summary(response.get_data(as_text=True))


# ---- profile -----------------------------------------------------------------------------


def test_editing_profile_saves_name_language_and_time_zone(client, login, resident):
    login(resident)
    form = client.get("/account/profile").get_data(as_text=True)
    assert f'value="{resident.display_name}"' in form
    assert 'autocomplete="nickname"' in form
    response = client.post("/account/profile", data={
        "display_name": "  Amaia   E. ", "locale": "es", "timezone": "America/Bogota",
    })
    assert response.status_code == 302
    user = reload(resident)
    assert (user.display_name, user.locale, user.timezone) == ("Amaia E.", "es", "America/Bogota")
    # The page now speaks the chosen language.
    assert 'lang="es"' in client.get("/account").get_data(as_text=True)


def test_bad_profile_input_is_refused_and_kept(client, login, resident):
    login(resident)
    response = client.post("/account/profile", data={
        "display_name": "A" * 81, "locale": "xx", "timezone": "Nowhere/Special",
    })
    html = response.get_data(as_text=True)
    summary = form_error_summary(html)
    assert 'href="#display_name"' in summary and 'href="#locale"' in summary and 'href="#timezone"' in summary
    assert f'value="{"A" * 81}"' in html
    assert reload(resident).display_name == "Amaia Etxeberria"


def test_bidi_controls_are_removed_from_display_names(client, login, resident):
    login(resident)
    client.post("/account/profile", data={
        "display_name": "Ana\u202egnp.exe", "locale": "en", "timezone": "UTC",
    })
    assert reload(resident).display_name == "Anagnp.exe"


# ---- signed-in devices -------------------------------------------------------------------


def test_sessions_page_lists_devices_and_marks_this_one(app, client, login, resident):
    login(resident)
    phone = app.test_client()
    phone.post("/sign-in", data={"email": resident.email, "password": TEST_PASSWORD},
               headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Firefox/128.0"})
    html = client.get("/account/sessions").get_data(as_text=True)
    assert "<caption>" in html and '<th scope="col">' in html
    assert "Firefox Android" in html
    assert html.count("this device") == 1
    assert "Sign out everywhere else" in html


def test_sign_out_everywhere_else(app, client, login, resident):
    login(resident)
    others = [app.test_client() for _ in range(3)]
    for other in others:
        sign_in(other, resident)
    assert session_rows(resident.id) == 4
    assert client.post("/account/sessions/end-others").status_code == 302
    assert session_rows(resident.id) == 1
    assert client.get("/account").status_code == 200
    assert all(other.get("/account").status_code == 302 for other in others)


def test_signing_out_one_other_device(app, client, login, resident, moderator):
    login(resident)
    other = app.test_client()
    sign_in(other, resident)
    rows = db.session.execute(select(UserSession).where(UserSession.user_id == resident.id)).scalars().all()
    mine = {row.id for row in rows}
    current_html = client.get("/account/sessions").get_data(as_text=True)
    target = next(i for i in mine if f"/account/sessions/{i}/end" in current_html)
    assert client.post(f"/account/sessions/{target}/end").status_code == 302
    assert session_rows(resident.id) == 1
    assert other.get("/account").status_code == 302
    assert client.get("/account").status_code == 200
    # The session in use is ended with "Sign out", not here.
    [current] = mine - {target}
    client.post(f"/account/sessions/{current}/end")
    assert client.get("/account").status_code == 200
    # Nobody can end someone else's session.
    spy = app.test_client()
    sign_in(spy, moderator)
    assert spy.post(f"/account/sessions/{current}/end").status_code == 403
    assert session_rows(resident.id) == 1
