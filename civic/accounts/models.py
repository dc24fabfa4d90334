from __future__ import annotations

import hashlib
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.core.enums import LabelledEnum, enum_column
from civic.core.models import TimestampMixin
from civic.core.time import utcnow
from civic.extensions import db


class Role(LabelledEnum):
    """What a person may do site-wide. Department staff is a membership, not a role."""

    RESIDENT = "resident"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @classmethod
    def _labels(cls):
        return {"resident": _l("Resident"), "moderator": _l("Moderator"), "admin": _l("Administrator")}


class AccountStatus(LabelledEnum):
    PENDING = "pending"  # email not yet confirmed
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BANNED = "banned"
    DISABLED = "disabled"

    @classmethod
    def _labels(cls):
        return {
            "pending": _l("Email not confirmed"),
            "active": _l("Active"),
            "suspended": _l("Suspended"),
            "banned": _l("Banned"),
            "disabled": _l("Disabled"),
        }


class NotificationFrequency(LabelledEnum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    NEVER = "never"

    @classmethod
    def _labels(cls):
        return {
            "immediately": _l("Email immediately"),
            "daily": _l("Email a daily digest"),
            "never": _l("No email (only on this site)"),
        }


#: Roles that must set up two-step verification before using their powers.
TWO_FACTOR_REQUIRED_ROLES = frozenset({Role.ADMIN, Role.MODERATOR})


class User(TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    email_confirmed_at: Mapped[datetime | None]
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80), index=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.RESIDENT, index=True)
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus), default=AccountStatus.PENDING, index=True
    )
    suspended_until: Mapped[datetime | None]
    #: When a city counter or an administrator verified that this person is a resident.
    verified_at: Mapped[datetime | None]
    #: Bumped on password or email change; invalidates emailed links made before it.
    security_stamp: Mapped[int] = mapped_column(default=0)
    last_login_at: Mapped[datetime | None]
    #: Two-step verification (RFC 6238 TOTP): the shared secret (base32), when it was turned
    #: on, and the last time step a code was accepted for (a code is never accepted twice).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_counter: Mapped[int | None] = mapped_column(BigInteger)

    memberships: Mapped[list[DepartmentMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login: the token of the server-side session this request runs under.
    current_session_token = None  # not mapped

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status in (AccountStatus.ACTIVE, AccountStatus.PENDING)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.current_session_token

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    @property
    def needs_two_factor(self) -> bool:
        """Administrators and moderators must use two-step verification."""
        return self.role in TWO_FACTOR_REQUIRED_ROLES

    @property
    def department_ids(self) -> frozenset[int]:
        return frozenset(m.department_id for m in self.memberships)

    @property
    def is_staff(self) -> bool:
        return bool(self.memberships)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.display_name!r}>"


class Department(TimestampMixin, db.Model):
    """A city department; its name is stored per language."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: ``{"fr": "Urbanisme", "en": "Urban planning"}``
    name_translations: Mapped[dict] = mapped_column(JSON, default=dict)
    default_locale: Mapped[str] = mapped_column(String(10), default="en")
    email: Mapped[str | None] = mapped_column(String(320))

    memberships: Mapped[list[DepartmentMembership]] = relationship(
        back_populates="department", cascade="all, delete-orphan"
    )

    def name_for(self, locale: str) -> tuple[str, str]:
        """(name, language of that name): the reader's language, else the default one."""
        names = self.name_translations or {}
        if names.get(locale):
            return names[locale], locale
        if names.get(self.default_locale):
            return names[self.default_locale], self.default_locale
        for code, value in names.items():
            if value:
                return value, code
        return self.slug, self.default_locale

    def __repr__(self) -> str:
        return f"<Department {self.slug}>"


class DepartmentMembership(TimestampMixin, db.Model):
    __tablename__ = "department_membership"
    __table_args__ = (UniqueConstraint("user_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(
        ForeignKey("department.id", ondelete="CASCADE"), index=True
    )

    user: Mapped[User] = relationship(back_populates="memberships")
    department: Mapped[Department] = relationship(back_populates="memberships", lazy="joined")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(db.Model):
    """A server-side sign-in session. Deleting the row signs that browser out."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user_id_last_seen", "user_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    remember: Mapped[bool] = mapped_column(default=False)
    #: A short description such as "Firefox on Android", never the full string or an address.
    device: Mapped[str] = mapped_column(String(80), default="")

    user: Mapped[User] = relationship(lazy="joined")


class SignInOutcome(LabelledEnum):
    FAILED = "failed"
    SUCCEEDED = "succeeded"

    @classmethod
    def _labels(cls):
        return {"failed": _l("Failed"), "succeeded": _l("Succeeded")}


class SignInAttempt(db.Model):
    """One sign-in attempt, for throttling and for telling the owner about failures.

    Never the raw address or email: ``account_key`` and ``address_key`` are keyed hashes
    (HMAC with the site's secret) of the normalised email address typed and of the client's
    IP address, so attempts on addresses without an account are throttled the same way.
    Removed after the retention period (see ``civic.privacy.retention``).
    """

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_account_created", "account_key", "created_at"),
        Index("ix_sign_in_attempt_address_created", "address_key", "created_at"),
        Index("ix_sign_in_attempt_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    #: The account, when the email address typed has one.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[SignInOutcome] = mapped_column(enum_column(SignInOutcome))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecoveryCode(db.Model):
    """A one-time recovery code for two-step verification, stored as a keyed hash."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
