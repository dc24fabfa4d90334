"""Permission plumbing shared by every domain.

Each view declares its permission decision with one decorator, so a test can walk the URL map
and fail on any view that forgot one:

* ``@allow(check)`` — ``check(user) -> bool`` is a plain function from a ``permissions.py``;
  anonymous people who fail it are sent to sign in, signed-in people get 403.
* ``@allow_anyone`` — a public page (states the decision explicitly).
* ``@object_permission`` — the view loads an object and calls ``authorize(can_x(user, obj))``
  itself; the decorator records that, and ``authorize`` is the only way to refuse.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import AnonymousUserMixin, current_user

PERMISSION_ATTR = "civic_permission"


class AnonymousUser(AnonymousUserMixin):
    """The visitor who has not signed in; answers every role question with no."""

    locale = None
    timezone = None
    role = None
    memberships: list = []
    is_verified = False
    is_confirmed = False
    is_admin = False
    is_moderator = False
    is_staff = False
    department_ids: frozenset[int] = frozenset()
    id = None


# ---- plain checks about people, reused by every domain's permissions.py ----------------


def is_signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_participant(user) -> bool:
    """Signed in with an account in good standing (email confirmed, not suspended)."""
    from civic.accounts.models import AccountStatus

    return is_signed_in(user) and user.status == AccountStatus.ACTIVE


def is_admin(user) -> bool:
    return is_signed_in(user) and user.is_admin


def is_moderator(user) -> bool:
    return is_signed_in(user) and user.is_moderator


def is_staff_of(user, department_id: int | None) -> bool:
    return is_signed_in(user) and department_id is not None and department_id in user.department_ids


def anyone(user) -> bool:
    return True


# ---- decorators -------------------------------------------------------------------------


def _deny(user):
    if not is_signed_in(user):
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    abort(403)


def allow(check: Callable[[object], bool]):
    """Let the view run only when ``check(current_user)`` is true."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not check(current_user):
                return _deny(current_user)
            return view(*args, **kwargs)

        setattr(wrapper, PERMISSION_ATTR, check.__name__)
        return wrapper

    return decorator


def allow_anyone(view):
    setattr(view, PERMISSION_ATTR, "anyone")
    return view


def object_permission(view):
    """The view checks an object-level permission itself with ``authorize``."""
    setattr(view, PERMISSION_ATTR, "object")
    return view


def authorize(allowed: bool) -> None:
    """Refuse the request unless ``allowed``: sign-in for anonymous people, else 403."""
    if not allowed:
        if not is_signed_in(current_user):
            abort(redirect(url_for("accounts.login", next=request.full_path.rstrip("?"))))
        abort(403)
