"""Helpers for the account tests."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from civic import create_app
from civic.accounts.models import User, UserSession
from civic.extensions import db

GOOD_PASSWORD = "tram stops under linden trees"


def links(message: dict) -> list[str]:
    """The local paths of the absolute links in an email's text."""
    return [urlsplit(url).path for url in re.findall(r"https?://\S+", message["text"])]


def only_link(message: dict) -> str:
    found = [path for path in links(message) if "/sign-in" not in path and "/password/forgot" not in path]
    assert len(found) == 1, message["text"]
    return found[0]


def mails_to(outbox: list[dict], address: str) -> list[dict]:
    return [m for m in outbox if m["to"] == address]


def session_rows(user_id: int) -> int:
    return db.session.execute(
        select(func.count()).select_from(UserSession).where(UserSession.user_id == user_id)
    ).scalar_one()


def reload(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


def form_error_summary(html: str) -> str:
    start = html.index('class="error-summary"')
    return html[start : html.index("</div>", start)]


def sign_in_with_form(client, email: str, password: str = GOOD_PASSWORD, **extra):
    return client.post("/sign-in", data={"email": email, "password": password, **extra})


@pytest.fixture
def limited_app(app, database_url):
    """A second app on the same database with rate limiting switched on (and tiny limits).

    ``tests/conftest.py`` switches the shared limiter back off after each test.
    """
    from tests.conftest import CivicTestClient

    limited = create_app(
        {
            "CIVIC_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_ENABLED": True,
            "RATE_LIMIT_LOGIN": "3 per minute",
            "RATE_LIMIT_REGISTER": "2 per hour",
            "RATE_LIMIT_RESET": "2 per hour",
        }
    )
    limited.test_client_class = CivicTestClient
    yield limited
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(session):
    """Every account test runs inside an application context with the database session."""
    yield
