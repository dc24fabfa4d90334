"""Sign-in, registration and reset requests are rate-limited (POST only), with a 429 page."""

from __future__ import annotations

from limits import parse_many

from tests.accounts.conftest import GOOD_PASSWORD
from tests.factories import UserFactory


def _allowed(app, setting: str) -> int:
    return min(item.amount for item in parse_many(app.config[setting]))


def _assert_limited_page(response):
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert html.count("<h1>") == 1
    assert "<h1>Too many attempts</h1>" in html
    assert '<main id="main"' in html


def test_sign_in_attempts_are_limited(limited_app, session):
    user = UserFactory()
    client = limited_app.test_client()
    data = {"email": user.email, "password": "guess number n"}
    for _ in range(_allowed(limited_app, "RATE_LIMIT_LOGIN")):
        assert client.post("/sign-in", data=data).status_code == 200
    _assert_limited_page(client.post("/sign-in", data=data))
    # Even the right password waits: guessing is what the limit stops.
    _assert_limited_page(client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple"}))
    # Reading the page is never limited.
    assert client.get("/sign-in").status_code == 200


def test_limit_page_is_in_the_visitors_language(limited_app, session):
    client = limited_app.test_client()
    for _ in range(_allowed(limited_app, "RATE_LIMIT_LOGIN")):
        client.post("/sign-in", data={"email": "x@example.org", "password": "whatever it is"})
    response = client.post("/sign-in", data={"email": "x@example.org", "password": "whatever"},
                           headers={"Accept-Language": "ar"})
    assert response.status_code == 429
    assert '<html lang="ar" dir="rtl">' in response.get_data(as_text=True)


def test_registrations_are_limited(limited_app, session):
    client = limited_app.test_client()
    for n in range(_allowed(limited_app, "RATE_LIMIT_REGISTER")):
        response = client.post("/register", data={
            "email": f"new{n}@example.org", "display_name": "New person", "password": GOOD_PASSWORD,
            "password_confirm": GOOD_PASSWORD, "locale": "en", "timezone": "UTC",
        })
        assert response.status_code == 302
    _assert_limited_page(client.post("/register", data={"email": "one.more@example.org"}))
    assert client.get("/register").status_code == 200


def test_reset_requests_are_limited(limited_app, session):
    client = limited_app.test_client()
    for _ in range(_allowed(limited_app, "RATE_LIMIT_RESET")):
        assert client.post("/password/forgot", data={"email": "x@example.org"}).status_code == 302
    _assert_limited_page(client.post("/password/forgot", data={"email": "x@example.org"}))
    assert client.get("/password/forgot").status_code == 200


def test_the_main_test_app_is_not_limited(client, session):
    # The shared limiter is switched back off after tests that switch it on.
    for _ in range(12):
        assert client.post("/sign-in", data={"email": "x@example.org", "password": "nope nope"}).status_code == 200
