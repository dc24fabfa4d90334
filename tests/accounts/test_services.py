"""Services used by administrators (status, verification) and by the language switcher."""

from __future__ import annotations

from datetime import timedelta

import pytest

from civic.accounts import services
from civic.accounts.models import AccountStatus
from civic.core.errors import Conflict, InvalidInput, PermissionDenied
from civic.core.time import utcnow
from tests.accounts.conftest import reload, session_rows
from tests.conftest import sign_in


@pytest.mark.parametrize("status", [AccountStatus.DISABLED, AccountStatus.BANNED, AccountStatus.SUSPENDED])
def test_closing_or_suspending_an_account_ends_all_its_sessions(app, session, resident, admin, status):
    devices = [app.test_client() for _ in range(2)]
    for device in devices:
        sign_in(device, resident)
    assert all(device.get("/account").status_code == 200 for device in devices)

    services.set_status(resident, status, actor=admin)
    session.commit()

    assert reload(resident).status == status
    assert session_rows(resident.id) == 0
    assert all(device.get("/account").status_code == 302 for device in devices)


def test_suspension_with_an_end(session, resident, admin):
    until = utcnow() + timedelta(days=3)
    services.set_status(resident, AccountStatus.SUSPENDED, actor=admin, until=until)
    session.commit()
    assert reload(resident).suspended_until == until
    services.set_status(resident, AccountStatus.ACTIVE, actor=admin)
    session.commit()
    user = reload(resident)
    assert user.status == AccountStatus.ACTIVE and user.suspended_until is None


def test_status_rules(session, resident, moderator, admin):
    with pytest.raises(PermissionDenied):
        services.set_status(resident, AccountStatus.DISABLED, actor=moderator)
    with pytest.raises(Conflict):
        services.set_status(admin, AccountStatus.DISABLED, actor=admin)
    with pytest.raises(InvalidInput):
        services.set_status(resident, AccountStatus.DISABLED, actor=admin, until=utcnow() + timedelta(days=1))
    with pytest.raises(InvalidInput):
        services.set_status(resident, AccountStatus.SUSPENDED, actor=admin, until=utcnow() - timedelta(days=1))
    session.rollback()
    assert reload(resident).status == AccountStatus.ACTIVE


def test_reopening_a_pending_account_confirms_it(session, unconfirmed_resident, admin):
    services.set_status(unconfirmed_resident, AccountStatus.ACTIVE, actor=admin)
    session.commit()
    assert reload(unconfirmed_resident).email_confirmed_at is not None


def test_verify_and_unverify_resident(session, resident, admin, moderator):
    with pytest.raises(PermissionDenied):
        services.verify_resident(resident, actor=moderator)
    services.verify_resident(resident, actor=admin)
    session.commit()
    first = reload(resident).verified_at
    assert first is not None and reload(resident).is_verified
    services.verify_resident(resident, actor=admin)  # idempotent: the first date stays
    assert reload(resident).verified_at == first
    with pytest.raises(PermissionDenied):
        services.unverify_resident(resident, actor=resident)
    services.unverify_resident(resident, actor=admin)
    session.commit()
    assert reload(resident).verified_at is None


def test_set_locale(session, resident, moderator):
    services.set_locale(resident, "ar", actor=resident)
    assert resident.locale == "ar"
    with pytest.raises(InvalidInput):
        services.set_locale(resident, "tlh", actor=resident)
    with pytest.raises(PermissionDenied):
        services.set_locale(resident, "fr", actor=moderator)


def test_password_policy_in_one_place(app):
    assert services.password_problem("x" * 7) is not None
    assert services.password_problem("x" * 8 + "y") is None
    assert services.password_problem("🌳" * 128) is None
    assert services.password_problem("🌳" * 129) is not None
    assert services.password_problem("QWERTYUIOP") is not None  # common, any case
    assert services.password_problem("ana.lopez", email="Ana.Lopez@example.org") is not None
    assert services.password_problem("  spaces are fine here  ") is None
