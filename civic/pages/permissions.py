"""Who may do what with the accessibility statement and barrier reports."""

from __future__ import annotations

from civic.core.permissions import anyone, is_admin


def can_report_barrier(user) -> bool:
    """Everyone, signed in or not: a barrier may be the very thing that stops signing in."""
    return anyone(user)


def can_manage_barrier_reports(user) -> bool:
    return is_admin(user)
