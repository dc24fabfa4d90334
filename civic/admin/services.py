"""Administration: roles, statuses, verification, departments and their members.

Account status and verification go through ``civic.accounts.services`` (which ends sessions);
this module adds the rules of the administration pages (the last active administrator stays)
and notifies the person concerned.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from civic.accounts import services as accounts
from civic.accounts.models import AccountStatus, Department, DepartmentMembership, Role, User
from civic.audit.models import AuditAction
from civic.audit.services import audit
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.core.permissions import is_admin
from civic.core.sanitize import clean_input
from civic.extensions import db
from civic.mail.models import OutboxMessage
from civic.notifications.models import NotificationKind
from civic.notifications.services import notify, notify_followers

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 200
#: Statuses an administrator can give (PENDING only comes from registration).
ADMIN_STATUSES = (AccountStatus.ACTIVE, AccountStatus.SUSPENDED, AccountStatus.BANNED, AccountStatus.DISABLED)


def _require_admin(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators can do this."))


# ---- lists and counts -------------------------------------------------------------------------


def dashboard_counts() -> dict:
    """A handful of cheap aggregate queries for the dashboard."""
    by_role = dict(db.session.execute(select(User.role, func.count()).group_by(User.role)).all())
    by_status = dict(db.session.execute(select(User.status, func.count()).group_by(User.status)).all())
    return {
        "users": sum(by_role.values()),
        "by_role": {role: by_role.get(role, 0) for role in Role},
        "by_status": {status: by_status.get(status, 0) for status in AccountStatus},
        "verified": db.session.execute(
            select(func.count()).select_from(User).where(User.verified_at.is_not(None))
        ).scalar_one(),
        "departments": db.session.execute(select(func.count()).select_from(Department)).scalar_one(),
        "outbox": db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one(),
    }


def users_query(search: str | None = None, role: Role | None = None, status: AccountStatus | None = None):
    """People sorted by name; ``search`` matches part of the name or of the email address."""
    stmt = select(User)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(User.display_name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if role is not None:
        stmt = stmt.where(User.role == role)
    if status is not None:
        stmt = stmt.where(User.status == status)
    return stmt.order_by(User.display_name, User.id)


def member_counts(department_ids: list[int]) -> dict[int, int]:
    if not department_ids:
        return {}
    rows = db.session.execute(
        select(DepartmentMembership.department_id, func.count())
        .where(DepartmentMembership.department_id.in_(department_ids))
        .group_by(DepartmentMembership.department_id)
    )
    return dict(rows.all())


# ---- roles, statuses, verification ------------------------------------------------------------


def _ensure_an_admin_remains(user: User, new_role: Role, new_status: AccountStatus) -> None:
    """Refuse a change that would leave no active administrator."""
    if user.role != Role.ADMIN or user.status != AccountStatus.ACTIVE:
        return
    if new_role == Role.ADMIN and new_status == AccountStatus.ACTIVE:
        return
    # Lock the active administrators' rows (PostgreSQL) so two admins cannot demote each
    # other at the same moment; SQLite serialises writers anyway.
    others = db.session.execute(
        select(User.id)
        .where(User.role == Role.ADMIN, User.status == AccountStatus.ACTIVE, User.id != user.id)
        .with_for_update()
    ).first()
    if others is None:
        raise Conflict(
            _l("This is the last active administrator. Make someone else an administrator first.")
        )


def change_role(user: User, role: Role | str, actor: User) -> bool:
    """Make ``user`` a resident, moderator or administrator; True when it changed."""
    _require_admin(actor)
    role = Role.coerce(role)
    if role == user.role:
        return False
    _ensure_an_admin_remains(user, role, user.status)
    previous = user.role
    user.role = role
    db.session.flush()
    audit(actor, AuditAction.ROLE_CHANGED, user, old=previous.value, new=role.value)
    notify([user], NotificationKind.ROLE_CHANGED, None, actor, change="role", role=role.value,
           previous=previous.value)
    return True


def change_status(user: User, status: AccountStatus | str, actor: User, until: datetime | None = None) -> bool:
    """Activate, suspend (optionally until a date), ban or disable an account."""
    _require_admin(actor)
    status = AccountStatus.coerce(status)
    if status not in ADMIN_STATUSES:
        raise InvalidInput(_l("Choose one of the statuses offered."), field="status")
    if status == user.status and (status != AccountStatus.SUSPENDED or until == user.suspended_until):
        return False
    _ensure_an_admin_remains(user, user.role, status)
    previous = user.status
    accounts.set_status(user, status, actor, until=until)
    audit(actor, AuditAction.STATUS_CHANGED, user, old=previous.value, new=status.value,
          until=until.isoformat() if until else None)
    params = {"status": status.value}
    if status == AccountStatus.SUSPENDED and until is not None:
        params["until"] = until.isoformat()
    notify([user], NotificationKind.ACCOUNT_SECURITY, None, actor, **params)
    return True


def verify(user: User, actor: User) -> bool:
    _require_admin(actor)
    if user.is_verified:
        return False
    accounts.verify_resident(user, actor)
    audit(actor, AuditAction.RESIDENT_VERIFIED, user)
    notify([user], NotificationKind.ROLE_CHANGED, None, actor, change="verified")
    return True


def unverify(user: User, actor: User) -> bool:
    _require_admin(actor)
    if not user.is_verified:
        return False
    accounts.unverify_resident(user, actor)
    audit(actor, AuditAction.RESIDENT_UNVERIFIED, user)
    notify([user], NotificationKind.ROLE_CHANGED, None, actor, change="unverified")
    return True


# ---- department memberships --------------------------------------------------------------------


def add_membership(user: User, department: Department, actor: User) -> DepartmentMembership:
    _require_admin(actor)
    exists = db.session.execute(
        select(DepartmentMembership.id).where(
            DepartmentMembership.user_id == user.id,
            DepartmentMembership.department_id == department.id,
        )
    ).first()
    if exists:
        raise Conflict(_l("This person is already a member of this department."))
    membership = DepartmentMembership(user_id=user.id, department_id=department.id)
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("This person is already a member of this department.")) from exc
    db.session.expire(user, ["memberships"])
    audit(actor, AuditAction.MEMBERSHIP_ADDED, user, department_id=department.id,
          department=department.slug)
    notify([user], NotificationKind.ROLE_CHANGED, department, actor, change="joined_department")
    return membership


def add_member_by_email(department: Department, email: str, actor: User) -> DepartmentMembership:
    _require_admin(actor)
    user = accounts.get_by_email(accounts.valid_email(email, field="email"))
    if user is None:
        raise InvalidInput(_l("No account uses this email address."), field="email")
    try:
        return add_membership(user, department, actor)
    except Conflict as exc:
        raise InvalidInput(exc.message, field="email") from exc


def remove_membership(user: User, department: Department, actor: User) -> None:
    _require_admin(actor)
    done = db.session.execute(
        delete(DepartmentMembership)
        .where(
            DepartmentMembership.user_id == user.id,
            DepartmentMembership.department_id == department.id,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise NotFound()
    db.session.expire(user, ["memberships"])
    audit(actor, AuditAction.MEMBERSHIP_REMOVED, user, department_id=department.id,
          department=department.slug)
    notify([user], NotificationKind.ROLE_CHANGED, department, actor, change="left_department")


# ---- departments --------------------------------------------------------------------------------


def _clean_department(slug: str | None, names: dict[str, str | None], email: str | None,
                      department: Department | None = None) -> tuple[str, dict[str, str], str | None]:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise InvalidInput(
            _l("Use lower-case letters, digits and single hyphens, like urban-planning."),
            field="slug",
        )
    taken = db.session.execute(
        select(Department.id).where(
            Department.slug == slug, Department.id != (department.id if department else -1)
        )
    ).first()
    if taken:
        raise InvalidInput(_l("Another department already uses this short name."), field="slug")
    languages = current_app.config["LANGUAGES"]
    cleaned: dict[str, str] = {}
    for code in languages:
        value = " ".join(clean_input(names.get(code) or "").split())
        if len(value) > NAME_MAX:
            raise InvalidInput(
                _l("A name can have at most %(max)s characters.", max=NAME_MAX), field=f"name_{code}"
            )
        if value:
            cleaned[code] = value
    default = default_language()
    if default not in cleaned:
        raise InvalidInput(
            _l("The name in the site's default language is required."), field=f"name_{default}"
        )
    address = accounts.valid_email(email, field="email") if (email or "").strip() else None
    return slug, cleaned, address


def default_language() -> str:
    languages = current_app.config["LANGUAGES"]
    code = current_app.config["BABEL_DEFAULT_LOCALE"]
    return code if code in languages else languages[0]


def create_department(actor: User, *, slug: str, names: dict[str, str | None], email: str | None) -> Department:
    _require_admin(actor)
    slug, cleaned, address = _clean_department(slug, names, email)
    department = Department(
        slug=slug, name_translations=cleaned, default_locale=default_language(), email=address
    )
    db.session.add(department)
    db.session.flush()
    audit(actor, AuditAction.DEPARTMENT_CREATED, department, slug=slug, names=cleaned, email=address)
    return department


def update_department(actor: User, department: Department, *, slug: str,
                      names: dict[str, str | None], email: str | None) -> bool:
    """Save a department's details; its followers are notified when something changed."""
    _require_admin(actor)
    slug, cleaned, address = _clean_department(slug, names, email, department)
    changed = (
        slug != department.slug
        or cleaned != (department.name_translations or {})
        or address != department.email
    )
    if not changed:
        return False
    audit(actor, AuditAction.DEPARTMENT_UPDATED, department,
          old={"slug": department.slug, "names": department.name_translations, "email": department.email},
          new={"slug": slug, "names": cleaned, "email": address})
    department.slug = slug
    department.name_translations = cleaned
    department.email = address
    db.session.flush()
    notify_followers(department, NotificationKind.DEPARTMENT_UPDATE, actor, change="details")
    return True


# ---- two-step verification ------------------------------------------------------------------


def reset_two_factor(user: User, actor: User) -> bool:
    """Turn off someone's two-step verification (lost phone and recovery codes)."""
    _require_admin(actor)
    if actor.id == user.id:
        raise Conflict(_l("You cannot reset your own two-step verification."))
    done = accounts.reset_two_factor(user, actor)
    if done:
        audit(actor, AuditAction.TWO_FACTOR_RESET, user)
    return done
