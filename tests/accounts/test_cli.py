"""``flask create-admin``."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import AccountStatus, Role, User
from civic.accounts.passwords import verify_password
from civic.extensions import db
from tests.accounts.conftest import GOOD_PASSWORD, reload
from tests.factories import TEST_PASSWORD


def _user(email):
    db.session.expire_all()
    return db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()


def test_create_admin_with_options(app):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "Boss@Example.org", "--name", "Ama Boateng", "--password", GOOD_PASSWORD,
    ])
    assert result.exit_code == 0, result.output
    assert "Created administrator" in result.output
    user = _user("boss@example.org")
    assert user.role == Role.ADMIN
    assert user.status == AccountStatus.ACTIVE
    assert user.email_confirmed_at is not None
    assert user.display_name == "Ama Boateng"
    assert verify_password(user.password_hash, GOOD_PASSWORD)


def test_create_admin_asks_for_what_is_missing_and_hides_the_password(app):
    answers = "\n".join([
        "boss@example.org", "Ama Boateng",
        "password1", "password1",  # common: refused, asked again
        GOOD_PASSWORD, "a typo", GOOD_PASSWORD, GOOD_PASSWORD,  # mismatch: asked again
    ]) + "\n"
    result = app.test_cli_runner().invoke(args=["create-admin"], input=answers)
    assert result.exit_code == 0, result.output
    assert "most common" in result.output
    assert GOOD_PASSWORD not in result.output  # never echoed
    assert verify_password(_user("boss@example.org").password_hash, GOOD_PASSWORD)


def test_weak_password_on_the_command_line_is_an_error(app):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "boss@example.org", "--name", "Ama", "--password", "short",
    ])
    assert result.exit_code != 0
    assert "at least 8 characters" in result.output
    assert _user("boss@example.org") is None


def test_bad_email_is_an_error(app):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", "not an address", "--name", "Ama", "--password", GOOD_PASSWORD,
    ])
    assert result.exit_code != 0
    assert "email address" in result.output


def test_existing_account_is_promoted_and_keeps_its_password(app, unconfirmed_resident):
    result = app.test_cli_runner().invoke(args=[
        "create-admin", "--email", unconfirmed_resident.email, "--password", GOOD_PASSWORD,
    ])
    assert result.exit_code == 0, result.output
    assert "is now an administrator" in result.output
    user = reload(unconfirmed_resident)
    assert user.role == Role.ADMIN
    assert user.status == AccountStatus.ACTIVE and user.email_confirmed_at is not None
    assert verify_password(user.password_hash, TEST_PASSWORD)
