"""Email confirmation links: valid, expired, tampered, killed by a password change; resending."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from civic.accounts.models import AccountStatus
from civic.core.time import utcnow
from tests.accounts.conftest import GOOD_PASSWORD, only_link, reload
from tests.factories import TEST_PASSWORD


def _register(client, email="ana@example.org"):
    client.post("/register", data={
        "email": email, "display_name": "Ana", "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD, "locale": "en", "timezone": "Europe/Paris",
    })


def _pending(session, email="ana@example.org"):
    from sqlalchemy import select

    from civic.accounts.models import User

    return session.execute(select(User).where(User.email == email)).scalar_one()


def test_following_the_link_confirms_the_address(client, session, outbox):
    _register(client)
    link = only_link(outbox[0])
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm my email address" in page.get_data(as_text=True)
    user = _pending(session)
    assert user.status == AccountStatus.PENDING  # a GET changes nothing (link scanners)
    response = client.post(link)
    assert response.status_code == 302
    user = reload(user)
    assert user.status == AccountStatus.ACTIVE
    assert user.email_confirmed_at is not None
    # Following it again is harmless.
    again = client.get(link)
    assert again.status_code == 302


def test_expired_link_is_refused(client, session, outbox, app):
    _register(client)
    link = only_link(outbox[0])
    later = utcnow() + app.config["EMAIL_TOKEN_MAX_AGE"] + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        page = client.get(link)
        assert page.status_code == 400
        assert "expired" in page.get_data(as_text=True)
        assert client.post(link).status_code == 400
    assert reload(_pending(session)).status == AccountStatus.PENDING


def test_link_still_works_just_before_expiry(client, session, outbox, app):
    _register(client)
    link = only_link(outbox[0])
    with time_machine.travel(utcnow() + app.config["EMAIL_TOKEN_MAX_AGE"] - timedelta(minutes=1), tick=False):
        assert client.post(link).status_code == 302
    assert reload(_pending(session)).status == AccountStatus.ACTIVE


def test_tampered_link_is_refused(client, session, outbox):
    _register(client)
    link = only_link(outbox[0])
    token = link.rsplit("/", 1)[1]
    payload, stamp, signature = token.split(".")
    # Point the token at another account id: the signature no longer matches.
    other = link.replace(payload, payload[:-2] + ("AA" if payload[-2:] != "AA" else "AB"))
    for bad in (other, link[:-3], "/confirm-email/not-a-token"):
        response = client.get(bad)
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)
    assert reload(_pending(session)).status == AccountStatus.PENDING


def test_a_reset_link_is_not_a_confirmation_link(client, session, outbox, unconfirmed_resident):
    client.post("/password/forgot", data={"email": unconfirmed_resident.email})
    reset_path = only_link(outbox[-1])
    token = reset_path.rsplit("/", 1)[1]
    assert client.post(f"/confirm-email/{token}").status_code == 400
    assert reload(unconfirmed_resident).status == AccountStatus.PENDING


def test_link_dies_after_a_password_change(client, session, outbox, login):
    _register(client)
    link = only_link(outbox[0])
    user = _pending(session)
    login(user)
    response = client.post("/account/password", data={
        "current_password": GOOD_PASSWORD, "password": "another long passphrase",
        "password_confirm": "another long passphrase",
    })
    assert response.status_code == 302
    assert client.post(link).status_code == 400
    assert reload(user).status == AccountStatus.PENDING


def test_pending_people_can_sign_in_and_ask_for_a_new_link(client, session, outbox, unconfirmed_resident):
    response = client.post("/sign-in", data={"email": unconfirmed_resident.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    settings = client.get("/account").get_data(as_text=True)
    assert "Send me a new confirmation link" in settings
    assert client.post("/account/confirmation/resend").status_code == 302
    [mail] = outbox
    assert mail["to"] == unconfirmed_resident.email
    assert client.post(only_link(mail)).status_code == 302
    assert reload(unconfirmed_resident).status == AccountStatus.ACTIVE


def test_confirmed_people_cannot_ask_for_a_link(client, login, resident, outbox):
    login(resident)
    assert client.post("/account/confirmation/resend").status_code == 403
    assert "Send me a new confirmation link" not in client.get("/account").get_data(as_text=True)
    assert outbox == []
