"""factory_boy factories for Civic's models."""

from __future__ import annotations

from datetime import timedelta

import factory
from factory.alchemy import SQLAlchemyModelFactory

from civic.accounts.models import AccountStatus, Department, DepartmentMembership, Role, User
from civic.core.time import utcnow
from civic.extensions import db

TEST_PASSWORD = "correct horse battery staple"
#: The two-step verification secret of the factories' administrators and moderators.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - test data


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class DepartmentFactory(BaseFactory):
    class Meta:
        model = Department

    slug = factory.Sequence(lambda n: f"department-{n}")
    name_translations = factory.LazyAttribute(
        lambda o: {"en": f"Department {o.slug}", "fr": f"Service {o.slug}"}
    )
    default_locale = "en"


_HASH_CACHE: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _HASH_CACHE:
        from civic.accounts.passwords import hash_password

        _HASH_CACHE[password] = hash_password(password)
    return _HASH_CACHE[password]


class UserFactory(BaseFactory):
    class Meta:
        model = User

    class Params:
        verified = factory.Trait(verified_at=factory.LazyFunction(utcnow))
        unconfirmed = factory.Trait(status=AccountStatus.PENDING, email_confirmed_at=None)
        suspended = factory.Trait(
            status=AccountStatus.SUSPENDED,
            suspended_until=factory.LazyFunction(lambda: utcnow() + timedelta(days=7)),
        )
        # Administrators and moderators must use two-step verification: the traits set it up.
        moderator = factory.Trait(
            role=Role.MODERATOR, totp_secret=TEST_TOTP_SECRET, totp_enabled_at=factory.LazyFunction(utcnow)
        )
        admin = factory.Trait(
            role=Role.ADMIN, totp_secret=TEST_TOTP_SECRET, totp_enabled_at=factory.LazyFunction(utcnow)
        )
        #: Two-step verification on, for any role.
        two_factor = factory.Trait(
            totp_secret=TEST_TOTP_SECRET, totp_enabled_at=factory.LazyFunction(utcnow)
        )

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"Person {n}")
    password_hash = factory.LazyFunction(lambda: _hash(TEST_PASSWORD))
    locale = "en"
    timezone = "Europe/Paris"
    role = Role.RESIDENT
    status = AccountStatus.ACTIVE
    email_confirmed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def staff_of(obj, create, extracted, **kwargs):
        if extracted is not None:
            db.session.add(DepartmentMembership(user=obj, department=extracted))
            db.session.commit()
