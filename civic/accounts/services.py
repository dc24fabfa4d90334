"""Accounts: the business rules for people's accounts.

Every function takes its inputs explicitly (and an ``actor`` when someone acts on an account),
flushes but never commits, and raises errors from ``civic.core.errors`` that the views turn
into form errors, 403 or 404. Nothing here reads the request, the session or ``current_user``.
Emails are rendered here (in the recipient's language) and queued: they leave only once the
view commits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from civic.accounts import mails, throttle, tokens, two_factor
from civic.accounts.models import (
    AccountStatus,
    RecoveryCode,
    Role,
    SignInOutcome,
    User,
    UserSession,
    hash_token,
)
from civic.accounts.passwords import (
    hash_password,
    is_common,
    needs_rehash,
    normalise,
    verify_password,
)
from civic.audit.models import AuditAction
from civic.audit.services import audit
from civic.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from civic.core.sanitize import clean_input
from civic.core.sessions import end_all_sessions
from civic.core.time import is_valid_timezone, utcnow
from civic.extensions import db

DISPLAY_NAME_MIN = 2
DISPLAY_NAME_MAX = 80

#: Statuses that close an account: no sign-in, every session ended, profile hidden.
CLOSED_STATUSES = frozenset({AccountStatus.DISABLED, AccountStatus.BANNED})
#: Statuses that keep a person from signing in.
BLOCKED_STATUSES = CLOSED_STATUSES | {AccountStatus.SUSPENDED}

WRONG_CREDENTIALS = _l("The email address or the password is not right.")

# Bidirectional embedding, override and isolate controls: they can make a name display as
# something else ("spoofing"); pages set the direction of names themselves.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")


class AccountBlocked(PermissionDenied):
    """The password was right, but the account may not sign in (closed or suspended)."""

    def __init__(self, user: User):
        super().__init__(_l("This account cannot sign in."))
        self.status = user.status
        self.until = user.suspended_until


# ---- input rules -------------------------------------------------------------------------


def normalise_email(email: str | None) -> str:
    """The form in which addresses are stored and looked up (lower case, IDN domains decoded)."""
    email = (email or "").strip()
    try:
        email = validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        pass
    return email.lower()


def valid_email(email: str | None, field: str = "email") -> str:
    """The normalised address, or ``InvalidInput`` when it cannot be an email address."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidInput(_l("Enter an email address like name@example.org."), field=field) from exc
    return result.normalized.lower()


def clean_display_name(name: str | None) -> str:
    name = _BIDI_CONTROLS.sub("", clean_input(name))
    return _SPACES.sub(" ", name).strip()


def display_name_problem(name: str) -> str | None:
    if len(name) < DISPLAY_NAME_MIN or len(name) > DISPLAY_NAME_MAX:
        return _l(
            "Your display name must have between %(min)s and %(max)s characters.",
            min=DISPLAY_NAME_MIN,
            max=DISPLAY_NAME_MAX,
        )
    return None


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def password_problem(password: str | None, *, email: str | None = None,
                     display_name: str | None = None):
    """Why ``password`` breaks the policy (a translated message), or ``None`` when it is fine.

    8 to 128 characters of any kind; not one of the common passwords; not the person's email
    address (or the part before the @) or display name.
    """
    password = password or ""
    low = current_app.config["PASSWORD_MIN_LENGTH"]
    high = current_app.config["PASSWORD_MAX_LENGTH"]
    if len(password) < low:
        return _l("Your password must have at least %(min)s characters.", min=low)
    if len(password) > high:
        return _l("Your password can have at most %(max)s characters.", max=high)
    if is_common(password):
        return _l("This password is one of the most common ones, so it is easy to guess. "
                  "Please choose another one.")
    folded = _fold(normalise(password))
    personal = [email, (email or "").partition("@")[0], display_name]
    if any(p and len(p.strip()) > 0 and folded == _fold(p) for p in personal):
        return _l("Your password must be different from your email address and your display name.")
    return None


def check_password_policy(password: str | None, *, email: str | None = None,
                          display_name: str | None = None, field: str = "password") -> None:
    problem = password_problem(password, email=email, display_name=display_name)
    if problem is not None:
        raise InvalidInput(problem, field=field)


def _check_locale(code: str | None, field: str = "locale") -> str:
    if code not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_l("Choose one of the languages offered."), field=field)
    return code


def _check_timezone(zone: str | None, field: str = "timezone") -> str:
    if not is_valid_timezone(zone):
        raise InvalidInput(_l("Choose a time zone from the list."), field=field)
    return zone


def _check_display_name(name: str | None, field: str = "display_name") -> str:
    name = clean_display_name(name)
    problem = display_name_problem(name)
    if problem is not None:
        raise InvalidInput(problem, field=field)
    return name


def _require_self(actor, user: User) -> None:
    if actor is None or getattr(actor, "id", None) != user.id:
        raise PermissionDenied(_l("Only the account's owner can do this."))


def _require_self_or_admin(actor, user: User) -> None:
    if actor is None or (getattr(actor, "id", None) != user.id and not getattr(actor, "is_admin", False)):
        raise PermissionDenied(_l("You may not change this account."))


def _require_admin(actor) -> None:
    if actor is None or not getattr(actor, "is_admin", False):
        raise PermissionDenied(_l("Only administrators can do this."))


# ---- lookups -----------------------------------------------------------------------------


def get_by_email(email: str | None) -> User | None:
    address = normalise_email(email)
    if not address:
        return None
    return db.session.execute(select(User).where(User.email == address)).scalar_one_or_none()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


# ---- registration and email confirmation -------------------------------------------------


def register_account(*, email: str, password: str, display_name: str, locale: str,
                     timezone: str) -> User | None:
    """Create a PENDING account and email it a confirmation link.

    When the address already has an account, nothing is created: the owner gets an email
    saying someone tried to register with it, and ``None`` comes back. Callers show the same
    answer in both cases so the form never tells whether an address is registered; the
    password is hashed in both cases so the time taken does not tell either.
    """
    address = valid_email(email)
    name = _check_display_name(display_name)
    locale = _check_locale(locale)
    timezone = _check_timezone(timezone)
    check_password_policy(password, email=address, display_name=name)
    password_hash = hash_password(password)

    existing = get_by_email(address)
    if existing is not None:
        mails.send_already_registered(existing)
        return None
    user = User(
        email=address,
        password_hash=password_hash,
        display_name=name,
        locale=locale,
        timezone=timezone,
        role=Role.RESIDENT,
        status=AccountStatus.PENDING,
        security_stamp=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # registered at the same moment by another request
        existing = get_by_email(address)
        if existing is not None:
            mails.send_already_registered(existing)
        return None
    mails.send_confirmation(user)
    return user


def _user_for_token(purpose: str, token: str) -> tuple[User, dict]:
    data = tokens.read_token(purpose, token)
    user = db.session.get(User, data["u"])
    if user is None or user.security_stamp != data.get("s") or user.email != data.get("e"):
        raise tokens.InvalidToken()
    return user, data


def _bump_stamp(user: User, expected: int | None = None) -> None:
    """Invalidate every emailed link of the account. With ``expected`` (the stamp a link
    carried), only one of two simultaneous uses of the same link can succeed."""
    db.session.flush()
    stmt = update(User).where(User.id == user.id)
    if expected is not None:
        stmt = stmt.where(User.security_stamp == expected)
    result = db.session.execute(
        stmt.values(security_stamp=User.security_stamp + 1).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise tokens.InvalidToken()
    db.session.refresh(user, ["security_stamp"])


def check_link(purpose: str, token: str) -> User:
    """The account a still-valid emailed link belongs to (``InvalidToken``/``ExpiredToken``)."""
    return _user_for_token(purpose, token)[0]


def _mark_confirmed(user: User) -> None:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    if user.status == AccountStatus.PENDING:
        user.status = AccountStatus.ACTIVE


def confirm_email(token: str) -> User:
    """Follow a confirmation link: the address is confirmed and the account becomes ACTIVE."""
    user, _data = _user_for_token(tokens.CONFIRM_EMAIL, token)
    _mark_confirmed(user)
    db.session.flush()
    return user


def resend_confirmation(user: User, actor) -> None:
    _require_self(actor, user)
    if user.email_confirmed_at is not None:
        raise Conflict(_l("Your email address is already confirmed."))
    mails.send_confirmation(user)


# ---- signing in --------------------------------------------------------------------------


def authenticate(email: str | None, password: str | None) -> User:
    """The account for these credentials, or ``InvalidInput`` with one message for every
    failure (unknown address or wrong password), taking the same time in both cases.

    A right password on a closed or suspended account raises ``AccountBlocked``. A
    suspension whose end has passed is lifted; an outdated hash is replaced.
    """
    password = password or ""
    user = get_by_email(email)
    if len(password) > 8 * current_app.config["PASSWORD_MAX_LENGTH"]:
        raise InvalidInput(WRONG_CREDENTIALS)  # never hash megabytes; says nothing about the account
    if not verify_password(user.password_hash if user else None, password):
        raise InvalidInput(WRONG_CREDENTIALS)
    if user.status == AccountStatus.SUSPENDED and user.suspended_until and user.suspended_until <= utcnow():
        user.status = AccountStatus.ACTIVE
        user.suspended_until = None
    if user.status in BLOCKED_STATUSES:
        raise AccountBlocked(user)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


class Throttled(DomainError):
    """Too many failed attempts: this one must wait ``wait`` (nothing was checked)."""

    def __init__(self, wait: timedelta):
        super().__init__(_l("Too many attempts."))
        self.wait = wait


@dataclass(frozen=True)
class SignInResult:
    user: User
    #: The password was right and the account uses two-step verification: ask for a code.
    second_step: bool
    #: Failed attempts on the account since its last successful sign-in (before this one).
    failures_before: int = 0


def _check_throttle(account: str, address: str, known_device: bool) -> None:
    wait = throttle.wait_needed(account, address, known_device=known_device)
    if wait is not None:
        raise Throttled(wait)


def sign_in(email: str | None, password: str | None, *, address: str | None,
            known_ids: list[int] | tuple[int, ...] = (), device: str = "") -> SignInResult:
    """The first step of signing in: throttling, then the password (see ``throttle``).

    ``address`` is the client's IP address (only its keyed hash is stored), ``known_ids`` the
    account ids of the browser's known-device cookie and ``device`` a short description of
    the browser for the notice email. Raises ``Throttled``, ``InvalidInput`` (wrong email or
    password, recorded as a failure) or ``AccountBlocked``. When the account has no
    two-step verification the sign-in is complete (recorded, owner told about earlier
    failures); otherwise the caller asks for a code and calls ``complete_second_step``.
    """
    normalised = normalise_email(email)
    account = throttle.account_key(normalised)
    where = throttle.address_key(address)
    user = get_by_email(normalised)
    known_device = user is not None and user.id in set(known_ids)
    _check_throttle(account, where, known_device)
    try:
        user = authenticate(email, password)
    except AccountBlocked:
        raise
    except InvalidInput:
        throttle.record(account, where, SignInOutcome.FAILED, user.id if user else None)
        raise
    if user.has_two_factor:
        return SignInResult(user, second_step=True)
    failures = _record_success(user, account, where, device)
    return SignInResult(user, second_step=False, failures_before=failures)


def _record_success(user: User, account: str, address: str, device: str, *, recovery_used: bool = False) -> int:
    failures = throttle.account_failures(account).count
    throttle.record(account, address, SignInOutcome.SUCCEEDED, user.id)
    from flask import current_app as app

    if failures >= app.config["SIGNIN_NOTIFY_AFTER_FAILURES"] or recovery_used:
        mails.send_sign_in_notice(
            user,
            failures=failures,
            device=device,
            recovery_codes_left=two_factor.recovery_codes_left(user) if recovery_used else None,
        )
    return failures


def complete_second_step(user_id: int, code: str | None, *, address: str | None,
                         known_ids: list[int] | tuple[int, ...] = (), device: str = "") -> SignInResult:
    """The second step: an authenticator code (or a recovery code) for ``user_id``.

    Throttled like the password; a wrong, reused or expired code is recorded as a failure.
    """
    user = db.session.get(User, user_id)
    if user is None or not user.has_two_factor:
        raise NotFound()
    if user.status in BLOCKED_STATUSES:
        raise AccountBlocked(user)
    account = throttle.account_key(user.email)
    where = throttle.address_key(address)
    _check_throttle(account, where, user.id in set(known_ids))
    used = two_factor.check_second_factor(user, code or "")
    if used is None:
        throttle.record(account, where, SignInOutcome.FAILED, user.id)
        raise InvalidInput(
            _l("This code is not right, or it was already used. Enter the code your app shows "
               "now, or one of your recovery codes."),
            field="code",
        )
    failures = _record_success(user, account, where, device, recovery_used=(used == "recovery"))
    return SignInResult(user, second_step=False, failures_before=failures)


# ---- two-step verification ---------------------------------------------------------------


def _check_current_password(user: User, password: str | None) -> None:
    if not verify_password(user.password_hash, password or ""):
        raise InvalidInput(_l("Your current password is not right."), field="current_password")


def enable_two_factor(user: User, *, secret: str, code: str, current_password: str, actor) -> list[str]:
    """Turn on (or move to a new device) two-step verification; returns new recovery codes.

    The code proves the app holds ``secret``; the password proves the person is the owner.
    """
    _require_self(actor, user)
    _check_current_password(user, current_password)
    if not two_factor.valid_secret(secret):
        raise InvalidInput(_l("The setup expired. Please start again."), field="code")
    step = two_factor.matching_step(secret, code)
    if step is None:
        raise InvalidInput(
            _l("This code is not right. Check that your app shows the account for this site "
               "and type the six digits it shows now."),
            field="code",
        )
    replacing = user.has_two_factor
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_counter = step
    db.session.flush()
    codes = two_factor.replace_recovery_codes(user)
    mails.send_two_factor_changed(user, "replaced" if replacing else "enabled")
    return codes


def disable_two_factor(user: User, *, current_password: str, code: str, actor) -> None:
    _require_self(actor, user)
    if user.needs_two_factor:
        raise Conflict(_l("Two-step verification is required for administrators and moderators."))
    if not user.has_two_factor:
        raise Conflict(_l("Two-step verification is already off."))
    _check_current_password(user, current_password)
    if two_factor.check_second_factor(user, code) is None:
        raise InvalidInput(_l("This code is not right, or it was already used."), field="code")
    _clear_two_factor(user)
    mails.send_two_factor_changed(user, "disabled")


def _clear_two_factor(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    db.session.execute(
        delete(RecoveryCode)
        .where(RecoveryCode.user_id == user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def new_recovery_codes(user: User, *, code: str, actor) -> list[str]:
    """A fresh set of recovery codes (the old ones stop working), after a current code."""
    _require_self(actor, user)
    if not user.has_two_factor:
        raise Conflict(_l("Turn on two-step verification first."))
    if not two_factor.use_totp(user, code):
        raise InvalidInput(_l("This code is not right, or it was already used."), field="code")
    codes = two_factor.replace_recovery_codes(user)
    mails.send_two_factor_changed(user, "recovery_codes")
    return codes


def reset_two_factor(user: User, actor) -> bool:
    """An administrator turns off someone's two-step verification (lost phone and codes).

    Every session of the account ends; the person is told by email. Administrators and
    moderators will have to set it up again before using their powers.
    """
    _require_admin(actor)
    if not user.has_two_factor:
        return False
    _clear_two_factor(user)
    end_all_sessions(user.id)
    mails.send_two_factor_changed(user, "reset")
    return True


# ---- password reset ----------------------------------------------------------------------


def request_password_reset(email: str | None) -> None:
    """Email a reset link when the address has an account that may sign in; else nothing.

    Callers give the same answer either way.
    """
    user = get_by_email(email)
    if user is None or user.status in CLOSED_STATUSES:
        return
    mails.send_password_reset(user)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from an emailed link. The link works once (the stamp changes),
    every session of the account ends, and the account's address is told.
    Following the link also proves the address works, so a pending account is confirmed.
    """
    user, data = _user_for_token(tokens.RESET_PASSWORD, token)
    check_password_policy(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    _mark_confirmed(user)
    _bump_stamp(user, expected=data["s"])
    end_all_sessions(user.id)
    mails.send_password_changed(user)
    return user


# ---- account settings --------------------------------------------------------------------


def change_password(user: User, *, current_password: str, new_password: str, actor) -> None:
    """Change the password; every other session of the account ends, this one stays."""
    _require_self(actor, user)
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidInput(_l("Your current password is not right."), field="current_password")
    check_password_policy(new_password, email=user.email, display_name=user.display_name)
    user.password_hash = hash_password(new_password)
    _bump_stamp(user)
    end_all_sessions(user.id, keep_token=user.current_session_token)
    mails.send_password_changed(user)


def request_email_change(user: User, *, new_email: str, current_password: str, actor) -> None:
    """Send a confirmation link to the new address and a notice to the current one.

    The address changes only when the link is followed. When the new address already
    belongs to another account, its owner is told instead, and the caller shows the same
    answer as usual, so this form cannot be used to find out who has an account.
    """
    _require_self(actor, user)
    address = valid_email(new_email, field="email")
    if not verify_password(user.password_hash, current_password or ""):
        raise InvalidInput(_l("Your current password is not right."), field="current_password")
    if address == user.email:
        raise InvalidInput(_l("This is already your email address."), field="email")
    owner = get_by_email(address)
    if owner is not None:
        mails.send_email_in_use(owner)
        return
    mails.send_email_change_link(user, address)
    mails.send_email_change_notice(user, address)


def confirm_email_change(token: str) -> User:
    """Follow the link sent to a new address: the account's email becomes that address."""
    user, data = _user_for_token(tokens.CHANGE_EMAIL, token)
    new_email = data.get("n")
    if not isinstance(new_email, str) or not new_email:
        raise tokens.InvalidToken()
    taken = Conflict(_l("This email address is now used by another account."))
    if get_by_email(new_email) is not None:
        raise taken
    old_email = user.email
    try:
        with db.session.begin_nested():
            user.email = new_email
            user.email_confirmed_at = utcnow()
            _mark_confirmed(user)
            _bump_stamp(user, expected=data["s"])
    except IntegrityError as exc:  # taken at the same moment by another request
        raise taken from exc
    if old_email and old_email != user.email:
        mails.send_email_changed(user, old_email)
    return user


def update_profile(user: User, *, display_name: str, locale: str, timezone: str, actor) -> None:
    _require_self_or_admin(actor, user)
    user.display_name = _check_display_name(display_name)
    user.locale = _check_locale(locale)
    user.timezone = _check_timezone(timezone)
    db.session.flush()


def set_locale(user: User, code: str, actor) -> None:
    """Save the language someone picked with the language switcher."""
    _require_self_or_admin(actor, user)
    user.locale = _check_locale(code, field="language")
    db.session.flush()


# ---- sign-in sessions --------------------------------------------------------------------


def active_sessions_query(user: User):
    """The account's live sessions, most recently used first (a statement to paginate)."""
    now = utcnow()
    idle_since = now - current_app.config["SESSION_IDLE_TIMEOUT"]
    return (
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.expires_at > now,
            or_(UserSession.remember.is_(True), UserSession.last_seen_at > idle_since),
        )
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )


def is_current_session(user: User, row: UserSession) -> bool:
    token = getattr(user, "current_session_token", None)
    return bool(token) and row.token_hash == hash_token(token)


def end_other_sessions(user: User, actor) -> int:
    """Sign out every browser of this account except the one ``user`` is using now."""
    _require_self(actor, user)
    return end_all_sessions(user.id, keep_token=user.current_session_token)


def end_all_sessions_everywhere(user: User, actor) -> int:
    """Sign out every browser of this account, the one in use included."""
    _require_self(actor, user)
    return end_all_sessions(user.id)


def end_one_session(user: User, session_id: int, actor) -> None:
    _require_self(actor, user)
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound()
    if is_current_session(user, row):
        raise Conflict(_l("To end the session you are using now, sign out."))
    db.session.delete(row)
    db.session.flush()


# ---- administration ----------------------------------------------------------------------


def set_status(user: User, status: AccountStatus, actor, until: datetime | None = None) -> None:
    """Change an account's status (administrators).

    Closing (DISABLED, BANNED) or suspending an account ends all its sessions on the server
    at once: nobody stays signed in with it. ``until`` is only for SUSPENDED (``None`` means
    until an administrator lifts it).
    """
    _require_admin(actor)
    status = AccountStatus.coerce(status)
    if actor.id == user.id:
        raise Conflict(_l("You cannot change the status of your own account."))
    if until is not None:
        if status != AccountStatus.SUSPENDED:
            raise InvalidInput(_l("Only a suspension has an end date."), field="until")
        if until.tzinfo is None or until <= utcnow():
            raise InvalidInput(_l("The end of the suspension must be in the future."), field="until")
    user.status = status
    user.suspended_until = until if status == AccountStatus.SUSPENDED else None
    if status == AccountStatus.ACTIVE and user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()  # an administrator vouches for the account
    db.session.flush()
    if status in BLOCKED_STATUSES:
        end_all_sessions(user.id)


def verify_resident(user: User, actor) -> None:
    """Record that the city checked this person lives here ("Verified resident")."""
    _require_admin(actor)
    if user.verified_at is None:
        user.verified_at = utcnow()
        db.session.flush()


def unverify_resident(user: User, actor) -> None:
    _require_admin(actor)
    if user.verified_at is not None:
        user.verified_at = None
        db.session.flush()


def create_admin(*, email: str, display_name: str | None = None,
                 password: str | None = None) -> tuple[User, bool]:
    """For ``flask create-admin``: create an ACTIVE, confirmed administrator, or promote the
    account that already has this address (its password and name are then left alone).
    Returns the account and whether it was created.
    """
    address = valid_email(email)
    user = get_by_email(address)
    if user is not None:
        user.role = Role.ADMIN
        _mark_confirmed(user)
        user.status = AccountStatus.ACTIVE
        user.suspended_until = None
        db.session.flush()
        audit(None, AuditAction.ADMIN_CREATED, user, promoted=True)
        return user, False
    name = _check_display_name(display_name)
    check_password_policy(password, email=address, display_name=name)
    config = current_app.config
    user = User(
        email=address,
        password_hash=hash_password(password),
        display_name=name,
        locale=config["BABEL_DEFAULT_LOCALE"] if config["BABEL_DEFAULT_LOCALE"] in config["LANGUAGES"] else config["LANGUAGES"][0],
        timezone=config["BABEL_DEFAULT_TIMEZONE"],
        role=Role.ADMIN,
        status=AccountStatus.ACTIVE,
        email_confirmed_at=utcnow(),
        security_stamp=0,
    )
    db.session.add(user)
    db.session.flush()
    audit(None, AuditAction.ADMIN_CREATED, user, promoted=False)
    return user, True
