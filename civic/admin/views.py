"""Administration pages: people, roles, departments, the development outbox (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.accounts.models import AccountStatus, Department, DepartmentMembership, Role, User
from civic.admin import services
from civic.admin.forms import (
    AddMemberForm,
    ConfirmForm,
    MembershipForm,
    RoleForm,
    StatusForm,
    UserFilterForm,
    department_form,
    names_from,
)
from civic.core.errors import DomainError, NotFound, PermissionDenied
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, is_admin
from civic.extensions import db, limiter
from civic.mail.models import OutboxMessage

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


def _post_limit() -> str:
    return current_app.config["RATE_LIMIT_POST"]


def _me() -> User:
    return current_user._get_current_object()


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _form_error(form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names, or at the top of the form."""
    if isinstance(exc, PermissionDenied):
        abort(403)
    if isinstance(exc, NotFound):
        abort(404)
    message = str(exc.message) or _("This could not be done.")
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
    else:
        form.form_errors.append(message)


# ---- dashboard ----------------------------------------------------------------------------------


@bp.get("/")
@allow(is_admin)
def index():
    return render_template("admin/index.html", counts=services.dashboard_counts())


# ---- people -------------------------------------------------------------------------------------


@bp.get("/users")
@allow(is_admin)
def users():
    form = UserFilterForm(formdata=_args())
    role = status = None
    search = None
    if form.validate():
        search = form.q.data or None
        role = Role(form.role.data) if form.role.data else None
        status = AccountStatus(form.status.data) if form.status.data else None
    page = paginate(
        services.users_query(search, role, status), page_number(), current_app.config["PAGE_SIZE"]
    )
    return render_template("admin/users.html", form=form, page=page, filtered=bool(search or role or status))


def _args():
    from flask import request

    return request.args


def _membership_form() -> MembershipForm:
    form = MembershipForm()
    form.department.choices = [
        (d.id, d.name_for(_locale())[0])
        for d in db.session.execute(select(Department).order_by(Department.slug)).scalars()
    ]
    return form


def _locale() -> str:
    from civic.core.templating import current_locale_code

    return current_locale_code()


def _render_user(user: User, status_code: int = 200, **forms):
    role_form = forms.get("role_form") or RoleForm(formdata=None, role=user.role.value)
    status_form = forms.get("status_form") or StatusForm(
        formdata=None,
        status=user.status.value if user.status in services.ADMIN_STATUSES else AccountStatus.ACTIVE.value,
        until=user.suspended_until.astimezone(get_timezone()).date() if user.suspended_until else None,
    )
    membership_form = forms.get("membership_form") or _membership_form()
    member_of = {m.department_id for m in user.memberships}
    membership_form.department.choices = [c for c in membership_form.department.choices if c[0] not in member_of]
    return (
        render_template(
            "admin/user.html",
            user=user,
            role_form=role_form,
            status_form=status_form,
            membership_form=membership_form,
            confirm_form=ConfirmForm(),
        ),
        status_code,
    )


@bp.get("/users/<int:user_id>")
@allow(is_admin)
def user(user_id: int):
    return _render_user(_get_or_404(User, user_id))


@bp.post("/users/<int:user_id>/role")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_role(user_id: int):
    person = _get_or_404(User, user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            changed = services.change_role(person, form.role.data, _me())
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            if changed:
                flash(_("The role of %(name)s is now: %(role)s.", name=person.display_name, role=person.role.label), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    return _render_user(person, 400, role_form=form)


def _start_of_day(day) -> datetime:
    """Midnight of ``day`` in the administrator's time zone, as UTC."""
    zone = get_timezone()
    return zone.localize(datetime.combine(day, time.min)).astimezone(UTC)


@bp.post("/users/<int:user_id>/status")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_status(user_id: int):
    person = _get_or_404(User, user_id)
    form = StatusForm()
    if form.validate_on_submit():
        until = _start_of_day(form.until.data) if form.until.data else None
        try:
            changed = services.change_status(person, form.status.data, _me(), until=until)
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            if changed:
                flash(_("The status of %(name)s is now: %(status)s.", name=person.display_name, status=person.status.label), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    return _render_user(person, 400, status_form=form)


@bp.post("/users/<int:user_id>/verify")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_verify(user_id: int):
    person = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        services.verify(person, _me())
        db.session.commit()
        flash(_("%(name)s is now a verified resident.", name=person.display_name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/unverify")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_unverify(user_id: int):
    person = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        services.unverify(person, _me())
        db.session.commit()
        flash(_("%(name)s is no longer a verified resident.", name=person.display_name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/two-factor/reset")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_reset_two_factor(user_id: int):
    person = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            done = services.reset_two_factor(person, _me())
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            if done:
                flash(_("Two-step verification of %(name)s is off; every device of the account is signed out.",
                        name=person.display_name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


@bp.post("/users/<int:user_id>/departments")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_add_membership(user_id: int):
    person = _get_or_404(User, user_id)
    form = _membership_form()
    if form.validate_on_submit():
        department = _get_or_404(Department, form.department.data)
        try:
            services.add_membership(person, department, _me())
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is now a member of the department.", name=person.display_name), "success")
            return redirect(url_for("admin.user", user_id=person.id))
    return _render_user(person, 400, membership_form=form)


@bp.post("/users/<int:user_id>/departments/<int:department_id>/remove")
@allow(is_admin)
@limiter.limit(_post_limit)
def user_remove_membership(user_id: int, department_id: int):
    person = _get_or_404(User, user_id)
    department = _get_or_404(Department, department_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_membership(person, department, _me())
        except NotFound:
            abort(404)
        db.session.commit()
        flash(_("%(name)s is no longer a member of the department.", name=person.display_name), "success")
    return redirect(url_for("admin.user", user_id=person.id))


# ---- departments -------------------------------------------------------------------------------


@bp.get("/departments")
@allow(is_admin)
def departments():
    page = paginate(select(Department).order_by(Department.slug), page_number(), current_app.config["PAGE_SIZE"])
    counts = services.member_counts([d.id for d in page.items])
    return render_template("admin/departments.html", page=page, counts=counts)


@bp.route("/departments/new", methods=["GET", "POST"])
@allow(is_admin)
@limiter.limit(_post_limit, methods=["POST"])
def department_new():
    form = department_form()
    if form.validate_on_submit():
        try:
            department = services.create_department(
                _me(), slug=form.slug.data, names=names_from(form), email=form.email.data
            )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The department is created."), "success")
            return redirect(url_for("admin.department", department_id=department.id))
    return render_template("admin/department_form.html", form=form, department=None), (400 if form.errors or form.form_errors else 200)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@allow(is_admin)
@limiter.limit(_post_limit, methods=["POST"])
def department_edit(department_id: int):
    department = _get_or_404(Department, department_id)
    form = department_form(obj=department)
    if form.validate_on_submit():
        try:
            services.update_department(
                _me(), department, slug=form.slug.data, names=names_from(form), email=form.email.data
            )
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("The department is saved."), "success")
            return redirect(url_for("admin.department", department_id=department.id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template("admin/department_form.html", form=form, department=department), status


@bp.route("/departments/<int:department_id>", methods=["GET"])
@allow(is_admin)
def department(department_id: int):
    dept = _get_or_404(Department, department_id)
    return _render_department(dept, AddMemberForm(formdata=None))


def _render_department(dept: Department, add_form: AddMemberForm, status_code: int = 200):
    stmt = (
        select(DepartmentMembership)
        .join(User, User.id == DepartmentMembership.user_id)
        .where(DepartmentMembership.department_id == dept.id)
        .options(joinedload(DepartmentMembership.user))
        .order_by(User.display_name, User.id)
    )
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return (
        render_template(
            "admin/department.html", department=dept, page=page, add_form=add_form, confirm_form=ConfirmForm()
        ),
        status_code,
    )


@bp.post("/departments/<int:department_id>/members")
@allow(is_admin)
@limiter.limit(_post_limit)
def department_add_member(department_id: int):
    dept = _get_or_404(Department, department_id)
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            membership = services.add_member_by_email(dept, form.email.data, _me())
        except DomainError as exc:
            db.session.rollback()
            _form_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is now a member of the department.", name=membership.user.display_name), "success")
            return redirect(url_for("admin.department", department_id=dept.id))
    return _render_department(dept, form, 400)


@bp.post("/departments/<int:department_id>/members/<int:user_id>/remove")
@allow(is_admin)
@limiter.limit(_post_limit)
def department_remove_member(department_id: int, user_id: int):
    dept = _get_or_404(Department, department_id)
    person = _get_or_404(User, user_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.remove_membership(person, dept, _me())
        except NotFound:
            abort(404)
        db.session.commit()
        flash(_("%(name)s is no longer a member of the department.", name=person.display_name), "success")
    return redirect(url_for("admin.department", department_id=dept.id))


# ---- development outbox -------------------------------------------------------------------------


@bp.get("/outbox")
@allow(is_admin)
def outbox():
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "admin/outbox.html", page=page, backend=current_app.config["MAIL_BACKEND"]
    )


@bp.get("/outbox/<int:message_id>")
@allow(is_admin)
def outbox_message(message_id: int):
    message = _get_or_404(OutboxMessage, message_id)
    return render_template("admin/outbox_message.html", message=message)
