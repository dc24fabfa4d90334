"""Password reset: same answer for everyone, an expiring single-use link, every session ended."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from civic.accounts.models import AccountStatus
from civic.accounts.passwords import verify_password
from civic.core.time import utcnow
from tests.accounts.conftest import (
    form_error_summary,
    mails_to,
    only_link,
    reload,
    session_rows,
    without_csrf,
)
from tests.factories import TEST_PASSWORD, UserFactory

NEW_PASSWORD = "seven swans a-swimming in the canal"


def _ask(client, email):
    return client.post("/password/forgot", data={"email": email})


def _choose(client, link, password=NEW_PASSWORD, confirm=None):
    return client.post(link, data={"password": password, "password_confirm": confirm or password})


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(app, resident, outbox):
    known, unknown = app.test_client(), app.test_client()
    first = _ask(known, resident.email)
    second = _ask(unknown, "nobody@example.org")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == "/check-your-email/reset"
    page_known = without_csrf(known.get("/check-your-email/reset").get_data(as_text=True))
    page_unknown = without_csrf(unknown.get("/check-your-email/reset").get_data(as_text=True))
    assert page_known.replace(resident.email, "ADDRESS") == page_unknown.replace("nobody@example.org", "ADDRESS")
    assert [m["to"] for m in outbox] == [resident.email]


def test_closed_accounts_get_no_link(client, session, outbox):
    user = UserFactory(status=AccountStatus.DISABLED)
    assert _ask(client, user.email).status_code == 302
    assert outbox == []


def test_reset_sets_the_password_and_ends_every_session(app, client, resident, outbox, login):
    # The person is signed in on two other devices.
    laptop, phone = app.test_client(), app.test_client()
    from tests.conftest import sign_in

    sign_in(laptop, resident)
    sign_in(phone, resident, remember=True)
    assert session_rows(resident.id) == 2
    stamp = resident.security_stamp

    _ask(client, resident.email)
    link = only_link(outbox[0])
    form = client.get(link)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    response = _choose(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"

    user = reload(resident)
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert user.security_stamp == stamp + 1
    assert session_rows(resident.id) == 0
    assert laptop.get("/account").status_code == 302
    assert phone.get("/account").status_code == 302
    notice = mails_to(outbox, resident.email)[-1]
    assert "password of your account" in notice["text"] and "/password/forgot" in notice["text"]
    # The new password works, the old one does not.
    assert client.post("/sign-in", data={"email": resident.email, "password": TEST_PASSWORD}).status_code == 200
    assert client.post("/sign-in", data={"email": resident.email, "password": NEW_PASSWORD}).status_code == 302


def test_link_works_only_once(client, resident, outbox):
    _ask(client, resident.email)
    link = only_link(outbox[0])
    assert _choose(client, link).status_code == 302
    again = client.get(link)
    assert again.status_code == 400
    assert _choose(client, link, password="yet another fine passphrase").status_code == 400
    assert verify_password(reload(resident).password_hash, NEW_PASSWORD)


def test_older_links_die_when_a_newer_one_is_used(client, resident, outbox):
    _ask(client, resident.email)
    _ask(client, resident.email)
    first, second = only_link(outbox[0]), only_link(outbox[1])
    assert _choose(client, second).status_code == 302
    assert client.get(first).status_code == 400


def test_link_expires(client, resident, outbox, app):
    _ask(client, resident.email)
    link = only_link(outbox[0])
    with time_machine.travel(utcnow() + app.config["RESET_TOKEN_MAX_AGE"] + timedelta(seconds=30), tick=False):
        page = client.get(link)
        assert page.status_code == 400
        html = page.get_data(as_text=True)
        assert "expired" in html and 'href="/password/forgot"' in html
        assert _choose(client, link).status_code == 400
    assert verify_password(reload(resident).password_hash, TEST_PASSWORD)


def test_tampered_link_is_refused(client, resident, outbox):
    _ask(client, resident.email)
    link = only_link(outbox[0])
    assert client.get(link[:-2] + ("xy" if not link.endswith("xy") else "zz")).status_code == 400


def test_new_password_must_follow_the_policy_and_the_link_stays_usable(client, resident, outbox):
    _ask(client, resident.email)
    link = only_link(outbox[0])
    weak = _choose(client, link, password="password1")
    assert weak.status_code == 200
    assert "most common" in form_error_summary(weak.get_data(as_text=True))
    mismatch = _choose(client, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD + "!")
    assert "different" in form_error_summary(mismatch.get_data(as_text=True))
    assert _choose(client, link).status_code == 302


def test_following_a_reset_link_confirms_a_pending_address(client, unconfirmed_resident, outbox):
    _ask(client, unconfirmed_resident.email)
    assert _choose(client, only_link(outbox[0])).status_code == 302
    user = reload(unconfirmed_resident)
    assert user.status == AccountStatus.ACTIVE and user.email_confirmed_at is not None
