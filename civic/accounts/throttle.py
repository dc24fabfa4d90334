"""Progressive throttling of failed sign-ins, per account and per network address.

Nothing here locks anyone out. After ``SIGNIN_ACCOUNT_FREE_FAILURES`` failures on an account
(since its last successful sign-in, within ``SIGNIN_ACCOUNT_WINDOW``), each further attempt
must wait a delay that doubles with every failure (``SIGNIN_BASE_DELAY`` up to
``SIGNIN_MAX_DELAY``) — but only from devices and addresses the account does not know:

* a *known device* (a signed cookie set when the account signed in successfully on this
  browser, see ``known_devices``) is never delayed, so an attacker hammering an account cannot
  stop its owner from signing in at home;
* an address the account signed in from successfully before skips the account's delay (but
  not the address's own).

Each address is throttled the same way across all accounts (``SIGNIN_ADDRESS_FREE_FAILURES``
within ``SIGNIN_ADDRESS_WINDOW``), against password spraying.

Accounts and addresses are keys made with HMAC-SHA256 and the site's secret: the email
address typed (normalised, whether or not it has an account, so throttling says nothing about
which addresses are registered) and the IP address. Neither is ever stored in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from civic.accounts.models import SignInAttempt, SignInOutcome
from civic.core.time import utcnow
from civic.extensions import db


def _key(purpose: str, value: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    derived = hmac.new(secret, f"civic.signin.{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(derived, value.encode(), hashlib.sha256).hexdigest()


def account_key(normalised_email: str) -> str:
    return _key("account", normalised_email or "")


def address_key(address: str | None) -> str:
    return _key("address", address or "unknown")


def delay_after(failures: int, free: int) -> timedelta | None:
    """The wait imposed after ``failures`` failures when ``free`` are allowed without one."""
    if failures < free:
        return None
    cfg = current_app.config
    base: timedelta = cfg["SIGNIN_BASE_DELAY"]
    ceiling: timedelta = cfg["SIGNIN_MAX_DELAY"]
    steps = min(failures - free, 20)
    return min(base * (2**steps), ceiling)


@dataclass(frozen=True)
class FailureCount:
    count: int
    last_at: datetime | None


def _last_success_id(column, key: str, since: datetime) -> int | None:
    return db.session.execute(
        select(func.max(SignInAttempt.id)).where(
            column == key,
            SignInAttempt.outcome == SignInOutcome.SUCCEEDED,
            SignInAttempt.created_at > since,
        )
    ).scalar_one()


def _failures(column, key: str, since: datetime, after_id: int | None = None) -> FailureCount:
    conditions = [
        column == key,
        SignInAttempt.outcome == SignInOutcome.FAILED,
        SignInAttempt.created_at > since,
    ]
    if after_id is not None:
        conditions.append(SignInAttempt.id > after_id)
    count, last_at = db.session.execute(
        select(func.count(), func.max(SignInAttempt.created_at)).where(*conditions)
    ).one()
    return FailureCount(count or 0, last_at)


def account_failures(key: str, now: datetime | None = None) -> FailureCount:
    """Failures on an account since its last success, within the window."""
    now = now or utcnow()
    since = now - current_app.config["SIGNIN_ACCOUNT_WINDOW"]
    success = _last_success_id(SignInAttempt.account_key, key, since)
    return _failures(SignInAttempt.account_key, key, since, after_id=success)


def address_failures(key: str, now: datetime | None = None) -> FailureCount:
    now = now or utcnow()
    since = now - current_app.config["SIGNIN_ADDRESS_WINDOW"]
    return _failures(SignInAttempt.address_key, key, since)


def _remaining(counted: FailureCount, free: int, now: datetime) -> timedelta | None:
    delay = delay_after(counted.count, free)
    if delay is None or counted.last_at is None:
        return None
    wait = counted.last_at + delay - now
    return wait if wait > timedelta(0) else None


def address_is_known(account: str, address: str, now: datetime | None = None) -> bool:
    """The account signed in successfully from this address within the retention period."""
    now = now or utcnow()
    since = now - current_app.config["SIGNIN_KNOWN_ADDRESS_FOR"]
    return (
        db.session.execute(
            select(SignInAttempt.id)
            .where(
                SignInAttempt.account_key == account,
                SignInAttempt.address_key == address,
                SignInAttempt.outcome == SignInOutcome.SUCCEEDED,
                SignInAttempt.created_at > since,
            )
            .limit(1)
        ).first()
        is not None
    )


def wait_needed(account: str, address: str, *, known_device: bool,
                now: datetime | None = None) -> timedelta | None:
    """How long this attempt must wait, or None when it may go ahead now."""
    if known_device:
        return None
    now = now or utcnow()
    cfg = current_app.config
    waits = [
        _remaining(address_failures(address, now), cfg["SIGNIN_ADDRESS_FREE_FAILURES"], now)
    ]
    if not address_is_known(account, address, now):
        waits.append(
            _remaining(account_failures(account, now), cfg["SIGNIN_ACCOUNT_FREE_FAILURES"], now)
        )
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def record(account: str, address: str, outcome: SignInOutcome, user_id: int | None = None) -> None:
    db.session.add(
        SignInAttempt(
            account_key=account,
            address_key=address,
            user_id=user_id,
            outcome=outcome,
            created_at=utcnow(),
        )
    )
    db.session.flush()
