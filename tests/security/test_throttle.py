"""Progressive sign-in throttling that an attacker cannot use to lock the owner out."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import select

from civic.accounts import known_devices
from civic.accounts.models import SignInAttempt, SignInOutcome
from civic.extensions import db
from tests import factories
from tests.factories import TEST_PASSWORD
from tests.security.conftest import NOW, sign_in, signed_in

ATTACKER = "203.0.113.9"
HOME = "198.51.100.7"
ELSEWHERE = "192.0.2.50"


def _hammer(app, email: str, times: int, ip: str = ATTACKER):
    attacker = app.test_client()
    for _ in range(times):
        response = sign_in(attacker, email, "wrong password, again", ip=ip)
        assert response.status_code == 200
    return attacker


def _owner_with_known_device(app, resident):
    owner = app.test_client()
    assert sign_in(owner, resident.email, ip=HOME).status_code == 302
    assert owner.get_cookie(known_devices.COOKIE_NAME) is not None
    owner.post("/sign-out")
    assert not signed_in(owner)
    return owner


def test_attacker_hammering_cannot_keep_the_owner_out_of_their_known_device(app, resident):
    with time_machine.travel(NOW, tick=False):
        owner = _owner_with_known_device(app, resident)
        attacker = _hammer(app, resident.email, app.config["SIGNIN_ACCOUNT_FREE_FAILURES"])
        # the attacker is now delayed, even with the right password
        blocked = sign_in(attacker, resident.email, TEST_PASSWORD, ip=ATTACKER)
        assert blocked.status_code == 200
        assert "Too many attempts; try again in 1 minute." in blocked.get_data(as_text=True)
        assert not signed_in(attacker)
        # the owner's browser is known: the right password works at once, from anywhere
        assert sign_in(owner, resident.email, ip=ELSEWHERE).status_code == 302
        assert signed_in(owner)
        # … even from the attacker's own address (a shared network)
        owner.post("/sign-out")
        assert sign_in(owner, resident.email, ip=ATTACKER).status_code == 302


def test_an_address_the_account_signed_in_from_is_not_delayed(app, resident):
    with time_machine.travel(NOW, tick=False):
        _owner_with_known_device(app, resident)
        _hammer(app, resident.email, app.config["SIGNIN_ACCOUNT_FREE_FAILURES"] + 2)
        # a new browser somewhere new is delayed
        stranger = app.test_client()
        response = sign_in(stranger, resident.email, ip=ELSEWHERE)
        assert "Too many attempts" in response.get_data(as_text=True)
        # a new browser (no cookie) at home: home is a known address for this account
        other_browser = app.test_client()
        assert sign_in(other_browser, resident.email, ip=HOME).status_code == 302
        # a successful sign-in starts the count again
        assert sign_in(app.test_client(), resident.email, ip=ELSEWHERE).status_code == 302


def test_delay_is_progressive_and_ends(app, resident):
    free = app.config["SIGNIN_ACCOUNT_FREE_FAILURES"]
    with time_machine.travel(NOW, tick=False) as clock:
        attacker = _hammer(app, resident.email, free)
        text = sign_in(attacker, resident.email, "guess", ip=ATTACKER).get_data(as_text=True)
        assert "try again in 1 minute" in text
        clock.shift(timedelta(seconds=61))
        # allowed again: one more failure doubles the delay
        assert "Too many attempts" not in sign_in(attacker, resident.email, "guess", ip=ATTACKER).get_data(as_text=True)
        assert "try again in 2 minutes" in sign_in(attacker, resident.email, "guess", ip=ATTACKER).get_data(as_text=True)
        clock.shift(timedelta(minutes=2, seconds=1))
        sign_in(attacker, resident.email, "guess", ip=ATTACKER)
        assert "try again in 4 minutes" in sign_in(attacker, resident.email, "guess", ip=ATTACKER).get_data(as_text=True)
        # never more than the ceiling, and the right password works once the wait is over
        clock.shift(app.config["SIGNIN_MAX_DELAY"] + timedelta(seconds=1))
        assert sign_in(attacker, resident.email, TEST_PASSWORD, ip=ATTACKER).status_code == 302
    # delayed attempts were not even checked, so they did not count as failures
    failures = db.session.execute(
        select(SignInAttempt).where(SignInAttempt.outcome == SignInOutcome.FAILED)
    ).scalars().all()
    assert len(failures) == free + 2


def test_one_address_spraying_many_accounts_is_delayed(app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_ADDRESS_FREE_FAILURES", 3)
    people = [factories.UserFactory() for _ in range(4)]
    with time_machine.travel(NOW, tick=False):
        sprayer = app.test_client()
        for person in people[:3]:
            sign_in(sprayer, person.email, "Summer2026!", ip=ATTACKER)
        response = sign_in(sprayer, people[3].email, TEST_PASSWORD, ip=ATTACKER)
        assert "Too many attempts" in response.get_data(as_text=True)
        # the same person from another address is not concerned
        assert sign_in(app.test_client(), people[3].email, ip=ELSEWHERE).status_code == 302


def test_unknown_addresses_are_throttled_like_real_accounts(app, resident):
    free = app.config["SIGNIN_ACCOUNT_FREE_FAILURES"]
    with time_machine.travel(NOW, tick=False):
        for email in (resident.email, "nobody-here@example.org"):
            attacker = _hammer(app, email, free, ip=f"203.0.113.{len(email)}")
            answer = sign_in(attacker, email, "guess", ip=f"203.0.113.{len(email)}")
            assert "Too many attempts; try again in 1 minute." in answer.get_data(as_text=True)


def test_attempts_keep_no_address_and_no_email(app, resident):
    sign_in(app.test_client(), resident.email, "wrong", ip=ATTACKER)
    sign_in(app.test_client(), resident.email, ip=ATTACKER)
    rows = db.session.execute(select(SignInAttempt)).scalars().all()
    assert [r.outcome for r in rows] == [SignInOutcome.FAILED, SignInOutcome.SUCCEEDED]
    for row in rows:
        stored = " ".join(str(v) for v in (row.account_key, row.address_key))
        assert ATTACKER not in stored and resident.email not in stored and "@" not in stored
        assert len(row.address_key) == 64 and row.user_id == resident.id


def test_owner_is_told_about_a_sign_in_after_failures(app, resident, outbox):
    with time_machine.travel(NOW, tick=False):
        _hammer(app, resident.email, app.config["SIGNIN_NOTIFY_AFTER_FAILURES"])
        assert not [m for m in outbox if m["to"] == resident.email]
        assert sign_in(app.test_client(), resident.email, ip=HOME,
                       ).status_code == 302
    notices = [m for m in outbox if m["to"] == resident.email]
    assert len(notices) == 1
    assert notices[0]["subject"] == "New sign-in to your account"
    assert "there were 3 failed attempts" in notices[0]["text"]
    assert "/password/forgot" in notices[0]["text"]
    # the next sign-in, with no failures in between, sends nothing
    sign_in(app.test_client(), resident.email, ip=HOME)
    assert len([m for m in outbox if m["to"] == resident.email]) == 1


def test_a_forged_known_device_cookie_is_ignored(app, resident):
    with time_machine.travel(NOW, tick=False):
        _hammer(app, resident.email, app.config["SIGNIN_ACCOUNT_FREE_FAILURES"])
        forger = app.test_client()
        forger.set_cookie(known_devices.COOKIE_NAME, "WzEsMiwzXQ.forged.signature")
        assert "Too many attempts" in sign_in(forger, resident.email, ip=ELSEWHERE).get_data(as_text=True)
