"""Registration: a pending account, a confirmation email, and no leak of who is registered."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.accounts.models import AccountStatus, Role, User
from civic.accounts.passwords import verify_password
from civic.extensions import db
from tests.accounts.conftest import GOOD_PASSWORD, form_error_summary, only_link, without_csrf


def _form(**changes) -> dict:
    data = {
        "email": "nour.haddad@example.org",
        "display_name": "Nour",
        "password": GOOD_PASSWORD,
        "password_confirm": GOOD_PASSWORD,
        "locale": "en",
        "timezone": "Europe/Paris",
    }
    data.update(changes)
    return data


def _users() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


def test_registration_page_offers_languages_time_zones_and_autocomplete(client):
    html = client.get("/register").get_data(as_text=True)
    assert html.count("<h1>") == 1
    assert 'autocomplete="email"' in html
    assert 'autocomplete="nickname"' in html
    assert html.count('autocomplete="new-password"') == 2
    assert '<option selected value="Europe/Paris">Europe/Paris</option>' in html
    assert '<option value="America/Argentina/Buenos_Aires">America/Argentina/Buenos Aires</option>' in html
    assert '<option value="fr">Français</option>' in html
    # The password hint explains the policy and is tied to the field.
    assert 'id="password-hint"' in html and 'aria-describedby="password-hint"' in html
    assert "Use 8 to 128 characters" in html


def test_registration_creates_a_pending_account_and_sends_a_link(client, session, outbox):
    response = client.post("/register", data=_form(email="Nour.Haddad@Example.ORG", locale="fr",
                                                   timezone="Asia/Hebron"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/check-your-email/register"
    user = session.execute(select(User)).scalar_one()
    assert user.email == "nour.haddad@example.org"
    assert user.status == AccountStatus.PENDING
    assert user.role == Role.RESIDENT
    assert user.email_confirmed_at is None
    assert (user.locale, user.timezone) == ("fr", "Asia/Hebron")
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    [mail] = outbox
    assert mail["to"] == "nour.haddad@example.org"
    assert only_link(mail).startswith("/confirm-email/")
    page = client.get("/check-your-email/register").get_data(as_text=True)
    assert "nour.haddad@example.org" in page


def test_confirmation_email_is_written_in_the_persons_language(client, outbox):
    client.post("/register", data=_form(locale="fr"), headers={"Accept-Language": "en"})
    [mail] = outbox
    assert mail["headers"]["Content-Language"] == "fr"
    # The link's lifetime is formatted by Babel in French, whatever the page's language.
    assert "2\xa0jours" in mail["text"]


def test_duplicate_email_gives_the_same_answer_and_warns_the_owner(app, session, outbox):
    owner = User(email="nour.haddad@example.org", password_hash="x", display_name="Nour H.",
                 locale="es", timezone="Europe/Madrid", status=AccountStatus.ACTIVE)
    session.add(owner)
    session.commit()
    # The same form, sent by a stranger, for a new address and for the taken one.
    fresh, taken = app.test_client(), app.test_client()
    first = fresh.post("/register", data=_form(email="someone.else@example.org"))
    second = taken.post("/register", data=_form(email="Nour.Haddad@example.org"))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    page_fresh = without_csrf(fresh.get(first.headers["Location"]).get_data(as_text=True))
    page_taken = without_csrf(taken.get(second.headers["Location"]).get_data(as_text=True))
    assert page_fresh.replace("someone.else@example.org", "ADDRESS") == page_taken.replace(
        "nour.haddad@example.org", "ADDRESS"
    )
    assert _users() == 2  # the owner and the fresh registration, nothing for the duplicate
    session.refresh(owner)
    assert owner.display_name == "Nour H." and owner.password_hash == "x"
    warning = next(m for m in outbox if m["to"] == "nour.haddad@example.org")
    assert "Alguien, quizá usted" in warning["text"]  # in the owner's language (Spanish)
    assert "/password/forgot" in warning["text"]  # a hint to reset the password
    assert "/confirm-email/" not in warning["text"]
    assert warning["headers"]["Content-Language"] == "es"  # the owner's language


def test_registering_twice_with_the_same_form_is_indistinguishable(app, outbox):
    first = app.test_client().post("/register", data=_form())
    second = app.test_client().post("/register", data=_form())
    assert (first.status_code, first.headers["Location"]) == (second.status_code, second.headers["Location"])
    assert _users() == 1
    assert [m["to"] for m in outbox] == ["nour.haddad@example.org"] * 2


def test_bad_input_keeps_what_was_typed_except_passwords(client, session):
    response = client.post(
        "/register",
        data=_form(email="not-an-address", display_name="Ana María", password="short",
                   password_confirm="shorter", timezone="Mars/Olympus"),
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    summary = form_error_summary(html)
    assert 'href="#email"' in summary and 'href="#password"' in summary
    assert 'href="#password_confirm"' in summary and 'href="#timezone"' in summary
    assert 'value="not-an-address"' in html
    assert 'value="Ana María"' in html
    assert "short" not in html.replace("shortcut", "")
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="email-hint email-error"' in html
    assert 'aria-describedby="password-hint password-error"' in html
    assert "at least 8 characters" in html
    assert _users() == 0


def test_display_name_needs_two_characters(client):
    html = client.post("/register", data=_form(display_name=" N ")).get_data(as_text=True)
    assert 'href="#display_name"' in form_error_summary(html)
    assert _users() == 0


def test_common_password_is_refused(client):
    html = client.post("/register", data=_form(password="iloveyou", password_confirm="iloveyou")).get_data(as_text=True)
    assert "most common" in form_error_summary(html)
    assert _users() == 0


def test_password_equal_to_email_or_display_name_is_refused(client):
    for password in ("Nour.Haddad@example.org", "nour.haddad", "Nour Haddad Elkhatib"):
        data = _form(display_name="Nour Haddad Elkhatib", password=password, password_confirm=password)
        html = client.post("/register", data=data).get_data(as_text=True)
        assert "different from your email address" in form_error_summary(html), password
    assert _users() == 0


@pytest.mark.parametrize("length", [8, 64, 128])
def test_long_passwords_with_any_characters_are_accepted(client, length):
    password = ("é 🌳 x" * 40)[:length]
    assert len(password) == length
    response = client.post("/register", data=_form(password=password, password_confirm=password))
    assert response.status_code == 302
    assert verify_password(db.session.execute(select(User)).scalar_one().password_hash, password)


def test_129_characters_is_refused(client):
    password = "a sentence of words " * 6 + "123456789"
    assert len(password) == 129
    html = client.post("/register", data=_form(password=password, password_confirm=password)).get_data(as_text=True)
    assert "at most 128 characters" in form_error_summary(html)
    assert _users() == 0


def test_signed_in_people_are_sent_home(client, login, resident):
    login(resident)
    assert client.get("/register").headers["Location"] == "/"
