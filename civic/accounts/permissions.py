"""Who may do what with accounts: plain ``can_*(user, obj) -> bool`` checks for views and
templates."""

from __future__ import annotations

from civic.accounts.models import AccountStatus
from civic.core.permissions import is_admin, is_signed_in

#: Profiles of these accounts are hidden (404) from everyone but administrators.
HIDDEN_PROFILE_STATUSES = frozenset({AccountStatus.DISABLED, AccountStatus.BANNED})


def is_owner(user, account) -> bool:
    return is_signed_in(user) and account is not None and user.id == account.id


def is_unconfirmed(user) -> bool:
    """Signed in, but the email address is not confirmed yet (may ask for a new link)."""
    return is_signed_in(user) and user.status == AccountStatus.PENDING


def can_edit_account(user, account) -> bool:
    """Change the account's settings (email, password, profile, sessions): its owner only.

    Administrators act on other accounts through the administration pages' own services.
    """
    return is_owner(user, account)


def can_view_profile(user, profile) -> bool:
    """Public profiles are open to everyone, except closed accounts (administrators only)."""
    if profile is None:
        return False
    if profile.status in HIDDEN_PROFILE_STATUSES:
        return is_admin(user)
    return True


def can_see_account_status(user, profile) -> bool:
    return is_owner(user, profile) or is_admin(user)


def can_end_session(user, user_session) -> bool:
    return is_signed_in(user) and user_session is not None and user_session.user_id == user.id


def can_manage_accounts(user) -> bool:
    """Suspend, close or reopen accounts."""
    return is_admin(user)


def can_verify_residents(user) -> bool:
    return is_admin(user)
