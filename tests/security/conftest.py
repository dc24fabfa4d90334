"""Helpers for the security, privacy and audit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from civic.accounts import two_factor
from tests.factories import TEST_PASSWORD

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """The clock stands still (a second from now, so cookies made before stay valid)."""
    from civic.core.time import utcnow

    start = utcnow().replace(microsecond=0) + timedelta(seconds=1)
    with time_machine.travel(start, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _app_context(request):
    """Every test here runs inside an application context with the database session."""
    if "app" not in request.fixturenames and "session" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("session")
    yield


def sign_in(client, email: str, password: str = TEST_PASSWORD, ip: str = "198.51.100.7", **extra):
    return client.post(
        "/sign-in",
        data={"email": email, "password": password, **extra},
        environ_base={"REMOTE_ADDR": ip},
    )


def send_code(client, code: str, ip: str = "198.51.100.7"):
    return client.post("/sign-in/code", data={"code": code}, environ_base={"REMOTE_ADDR": ip})


def code_now(secret: str, when: datetime | None = None) -> str:
    from civic.core.time import utcnow

    return two_factor.code_at(secret, when or utcnow())


def signed_in(client) -> bool:
    response = client.get("/account")
    return response.status_code == 200
