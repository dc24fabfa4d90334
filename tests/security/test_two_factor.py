"""Two-step verification: setup, the second step of signing in, replay, recovery codes, the
requirement for administrators and moderators, resets."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from sqlalchemy import func, select

from civic.accounts import two_factor
from civic.accounts.models import RecoveryCode, Role, User
from civic.audit.models import AuditAction, AuditLogEntry
from civic.core.time import utcnow
from civic.extensions import db
from tests import factories
from tests.accounts.conftest import session_rows
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET
from tests.security.conftest import NOW, code_now, send_code, sign_in, signed_in


def _set_up(client, password=TEST_PASSWORD):
    page = client.get("/account/two-factor/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html and 'alt="QR code' in html
    secret = re.search(r'class="secret-key"[^>]*>([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    response = client.post(
        "/account/two-factor/setup", data={"code": code_now(secret), "current_password": password}
    )
    return secret, response


def test_setting_up_shows_a_qr_code_and_the_key_as_text_then_recovery_codes(client, login, resident, outbox, clock):
    login(resident)
    secret, response = _set_up(client)
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", response.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    person = db.session.get(User, resident.id)
    assert person.has_two_factor and person.totp_secret == secret
    stored = db.session.execute(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == person.id)).scalars().all()
    assert len(stored) == 10
    assert not set(stored) & ({c.replace("-", "") for c in codes} | set(codes))
    assert any(m["subject"] == "Two-step verification is on" for m in outbox if m["to"] == person.email)


def test_setup_refuses_a_wrong_code_or_password(client, login, resident, clock):
    login(resident)
    client.get("/account/two-factor/setup")
    wrong_code = client.post("/account/two-factor/setup", data={"code": "000000", "current_password": TEST_PASSWORD})
    assert wrong_code.status_code == 400 and "This code is not right" in wrong_code.get_data(as_text=True)
    _secret, wrong_password = _set_up(client, password="nope nope nope")
    assert wrong_password.status_code == 400
    assert not db.session.get(User, resident.id).has_two_factor


def test_sign_in_asks_for_the_code_after_the_password(app, session, clock):
    person = factories.UserFactory(two_factor=True)
    client = app.test_client()
    first = sign_in(client, person.email)
    assert first.status_code == 302 and first.headers["Location"] == "/sign-in/code"
    assert session_rows(person.id) == 0 and not signed_in(client)
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    wrong = send_code(client, "123456" if code_now(TEST_TOTP_SECRET) != "123456" else "654321")
    assert wrong.status_code == 200 and "This code is not right" in wrong.get_data(as_text=True)
    assert send_code(client, code_now(TEST_TOTP_SECRET)).status_code == 302
    assert session_rows(person.id) == 1 and signed_in(client)


def test_a_code_is_accepted_only_once(app, session, clock):
    person = factories.UserFactory(two_factor=True)
    code = code_now(TEST_TOTP_SECRET)
    first = app.test_client()
    sign_in(first, person.email)
    assert send_code(first, code).status_code == 302
    second = app.test_client()
    sign_in(second, person.email)
    replay = send_code(second, code)
    assert replay.status_code == 200 and "already used" in replay.get_data(as_text=True)
    # the code of the previous step (clock drift) is older than the one used: refused too
    previous = two_factor.code_at(TEST_TOTP_SECRET, utcnow() - timedelta(seconds=30))
    assert send_code(second, previous).status_code == 200
    # 30 seconds later, the next code works
    clock.shift(timedelta(seconds=30))
    assert send_code(second, code_now(TEST_TOTP_SECRET)).status_code == 302


def test_codes_one_step_away_are_accepted_but_not_further(session, clock):
    totp = pyotp.TOTP(TEST_TOTP_SECRET)
    step = totp.timecode(NOW)
    assert two_factor.matching_step(TEST_TOTP_SECRET, totp.generate_otp(step - 1), NOW) == step - 1
    assert two_factor.matching_step(TEST_TOTP_SECRET, totp.generate_otp(step + 1), NOW) == step + 1
    assert two_factor.matching_step(TEST_TOTP_SECRET, totp.generate_otp(step - 2), NOW) is None
    assert two_factor.matching_step(TEST_TOTP_SECRET, "12345", NOW) is None


def test_a_recovery_code_works_once_and_the_owner_is_told(app, login, resident, outbox, clock):
    client = login(resident)
    _secret, response = _set_up(client)
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", response.get_data(as_text=True))
    client.post("/sign-out")
    fresh = app.test_client()
    sign_in(fresh, resident.email)
    assert send_code(fresh, codes[0].upper()).status_code == 302
    again = app.test_client()
    sign_in(again, resident.email)
    assert send_code(again, codes[0]).status_code == 200
    notices = [m for m in outbox if m["subject"] == "New sign-in to your account"]
    assert notices and "You have 9 recovery codes left." in notices[-1]["text"]


def test_the_second_step_expires(app, session, clock):
    person = factories.UserFactory(two_factor=True)
    client = app.test_client()
    sign_in(client, person.email)
    clock.shift(app.config["TWO_FACTOR_PENDING_FOR"] + timedelta(seconds=1))
    late = send_code(client, code_now(TEST_TOTP_SECRET))
    assert late.status_code == 302 and late.headers["Location"] == "/sign-in"
    assert session_rows(person.id) == 0


def test_guessing_codes_is_throttled(app, session, clock):
    person = factories.UserFactory(two_factor=True)
    client = app.test_client()
    sign_in(client, person.email, ip="203.0.113.9")
    right = code_now(TEST_TOTP_SECRET)
    for guess in range(app.config["SIGNIN_ACCOUNT_FREE_FAILURES"]):
        attempt = f"{guess:06d}"
        if attempt != right:
            send_code(client, attempt, ip="203.0.113.9")
    blocked = send_code(client, right, ip="203.0.113.9")
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert session_rows(person.id) == 0


def test_administrators_and_moderators_must_set_it_up_first(app, login, session, client, clock):
    admin = factories.UserFactory(role=Role.ADMIN)
    login(admin)
    refused = client.get("/admin/")
    assert refused.status_code == 302 and refused.headers["Location"] == "/account/two-factor/setup"
    assert client.get("/admin/users").headers["Location"] == "/account/two-factor/setup"
    # their own account pages and public pages stay open
    assert client.get("/account").status_code == 200
    assert client.get("/").status_code == 200
    _secret, done = _set_up(client)
    assert done.status_code == 200
    assert client.get("/admin/").status_code == 200


def test_moderators_without_it_cannot_reach_moderation(app, login, session, client, clock):
    moderator = factories.UserFactory(role=Role.MODERATOR)
    login(moderator)
    moderation = [
        r.rule for r in app.url_map.iter_rules()
        if r.endpoint.startswith("moderation.") and "GET" in r.methods and not r.arguments
        and getattr(app.view_functions[r.endpoint], "civic_permission", None) != "anyone"
    ]
    assert moderation, "the moderation pages are registered"
    for path in moderation:
        assert client.get(path).headers.get("Location") == "/account/two-factor/setup", path


def test_required_roles_cannot_turn_it_off(login, admin, client, clock):
    login(admin)
    response = client.post(
        "/account/two-factor/disable",
        data={"current_password": TEST_PASSWORD, "code": code_now(TEST_TOTP_SECRET)},
    )
    assert response.status_code == 302
    assert db.session.get(User, admin.id).has_two_factor


def test_residents_can_turn_it_off_with_password_and_code(login, client, session, outbox, clock):
    person = factories.UserFactory(two_factor=True)
    login(person)
    wrong = client.post("/account/two-factor/disable", data={"current_password": TEST_PASSWORD, "code": "000000"})
    assert wrong.status_code == 400
    ok = client.post(
        "/account/two-factor/disable",
        data={"current_password": TEST_PASSWORD, "code": code_now(TEST_TOTP_SECRET)},
    )
    assert ok.status_code == 302
    assert not db.session.get(User, person.id).has_two_factor
    assert db.session.execute(select(func.count()).select_from(RecoveryCode)).scalar_one() == 0
    assert any(m["subject"] == "Two-step verification is off" for m in outbox)


def test_new_recovery_codes_replace_the_old_ones(login, client, session, clock):
    person = factories.UserFactory(two_factor=True)
    old = two_factor.replace_recovery_codes(person)
    db.session.commit()
    login(person)
    response = client.post("/account/two-factor/recovery-codes", data={"code": code_now(TEST_TOTP_SECRET)})
    new = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    person = db.session.get(User, person.id)
    assert not two_factor.use_recovery_code(person, old[0])
    assert two_factor.use_recovery_code(person, new[0])


def test_an_administrator_can_reset_it_and_it_is_audited(app, login, admin, client, outbox, clock):
    person = factories.UserFactory(two_factor=True)
    other = app.test_client()
    from tests.conftest import sign_in as give_session

    give_session(other, person)
    login(admin)
    assert client.post(f"/admin/users/{person.id}/two-factor/reset").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, person.id).has_two_factor
    assert session_rows(person.id) == 0
    entry = db.session.execute(select(AuditLogEntry).where(AuditLogEntry.action == AuditAction.TWO_FACTOR_RESET)).scalar_one()
    assert entry.actor_id == admin.id and entry.object_id == person.id
    assert any(m["to"] == person.email and "turned off" in m["subject"] for m in outbox)
