"""Who may do what with notifications and follows."""

from __future__ import annotations

from civic.core.permissions import is_participant, is_signed_in


def can_read_notifications(user) -> bool:
    """Everyone signed in has their own notifications (even while suspended)."""
    return is_signed_in(user)


def can_follow(user, target=None) -> bool:
    """Following needs an account in good standing (confirmed, not suspended)."""
    return is_participant(user)
