"""Notification pages, email preferences, follows and the one-click email links."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.accounts.models import Department, User
from civic.core.errors import DomainError, NotFound
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, allow_anyone, is_signed_in
from civic.core.urls import safe_next
from civic.extensions import csrf, db, limiter
from civic.notifications import kinds, services
from civic.notifications.emails import load_unfollow_token, load_unsubscribe_token
from civic.notifications.forms import EmptyForm, chosen_frequencies, preferences_form
from civic.notifications.models import Follow, Notification
from civic.notifications.permissions import can_follow, can_read_notifications
from civic.notifications.targets import target_of, target_type, target_types

bp = Blueprint("notifications", __name__, template_folder="templates", url_prefix="/notifications")


def _post_limit() -> str:
    return current_app.config["RATE_LIMIT_POST"]


def _me() -> User:
    return current_user._get_current_object()


def current_unread_count() -> int:
    """The header's unread count for the person signed in (0 for visitors); once per request."""
    if not is_signed_in(current_user):
        return 0
    if "civic_unread_count" not in g:
        g.civic_unread_count = services.unread_count(current_user.id)
    return g.civic_unread_count


@bp.record_once
def _register(state) -> None:
    state.app.extensions["civic_unread_count"] = current_unread_count


def _target_options():
    return [joinedload(getattr(Notification, t.relationship)) for t in target_types()]


def _back(default_endpoint: str) -> str:
    return safe_next(request.form.get("next")) or url_for(default_endpoint)


# ---- the notification list ---------------------------------------------------------------------


@bp.get("/")
@allow(can_read_notifications)
def index():
    stmt = (
        select(Notification)
        .where(Notification.recipient_id == current_user.id)
        .options(joinedload(Notification.actor), *_target_options())
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    items = [(n, kinds.render(n)) for n in page.items]
    return render_template(
        "notifications/index.html", page=page, items=items, unread=current_unread_count()
    )


@bp.post("/<int:notification_id>/read")
@allow(can_read_notifications)
@limiter.limit(_post_limit)
def read(notification_id: int):
    n = db.session.get(Notification, notification_id)
    if n is None or n.recipient_id != current_user.id:
        abort(404)
    services.mark_read(_me(), n)
    db.session.commit()
    return redirect(_back("notifications.index"))


@bp.post("/read-all")
@allow(can_read_notifications)
@limiter.limit(_post_limit)
def read_all():
    count = services.mark_all_read(_me())
    db.session.commit()
    if count:
        flash(_("All notifications are marked as read."), "success")
    return redirect(_back("notifications.index"))


# ---- email preferences ----------------------------------------------------------------------


@bp.route("/preferences", methods=["GET", "POST"])
@allow(can_read_notifications)
@limiter.limit(_post_limit, methods=["POST"])
def preferences():
    form = preferences_form(services.preferences_of(_me()))
    if form.validate_on_submit():
        services.set_preferences(_me(), _me(), chosen_frequencies(form))
        db.session.commit()
        flash(_("Your email settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    fields = [(getattr(form, f"kind_{kind.value}"), spec) for kind, spec in kinds.KINDS.items()]
    return render_template("notifications/preferences.html", form=form, fields=fields)


# ---- follows ---------------------------------------------------------------------------------


@bp.get("/following")
@allow(can_read_notifications)
def following():
    stmt = (
        select(Follow)
        .where(Follow.user_id == current_user.id)
        .options(*[joinedload(getattr(Follow, t.relationship)) for t in target_types()])
        .order_by(Follow.created_at.desc(), Follow.id.desc())
    )
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    items = []
    for f in page.items:
        target = target_of(f)
        tt = target_type(target)
        endpoint, values = tt.link(target)
        items.append((f, tt, tt.name(target, str(_locale())), url_for(endpoint, **values)))
    return render_template("notifications/following.html", page=page, items=items, form=EmptyForm())


def _locale() -> str:
    from civic.core.templating import current_locale_code

    return current_locale_code()


@bp.post("/following/<int:follow_id>/delete")
@allow(can_read_notifications)
@limiter.limit(_post_limit)
def stop_following(follow_id: int):
    row = db.session.get(Follow, follow_id)
    if row is None or row.user_id != current_user.id:
        abort(404)
    services.unfollow(_me(), target_of(row))
    db.session.commit()
    flash(_("You no longer follow it."), "success")
    return redirect(_back("notifications.following"))


@bp.get("/following/departments")
@allow(can_read_notifications)
def departments():
    stmt = select(Department).order_by(Department.slug)
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    followed = services.followed_ids(_me(), Department, [d.id for d in page.items])
    return render_template(
        "notifications/departments.html",
        page=page,
        followed=followed,
        may_follow=can_follow(current_user),
    )


def _department_or_404(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None:
        abort(404)
    return department


@bp.post("/departments/<int:department_id>/follow")
@allow(can_follow)
@limiter.limit(_post_limit)
def follow_department(department_id: int):
    department = _department_or_404(department_id)
    services.follow(_me(), department)
    db.session.commit()
    name, _lang = department.name_for(_locale())
    flash(_("You follow %(name)s. You will be notified of its news.", name=name), "success")
    return redirect(_back("notifications.departments"))


@bp.post("/departments/<int:department_id>/unfollow")
@allow(can_read_notifications)
@limiter.limit(_post_limit)
def unfollow_department(department_id: int):
    department = _department_or_404(department_id)
    services.unfollow(_me(), department)
    db.session.commit()
    name, _lang = department.name_for(_locale())
    flash(_("You no longer follow %(name)s.", name=name), "success")
    return redirect(_back("notifications.departments"))


# ---- one-click links from emails (no sign-in; the signed token is the permission) ------------


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _invalid_link():
    return render_template("notifications/invalid_link.html"), 400


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POSTs come from mail programs, without a CSRF token
@allow_anyone
@limiter.limit(_post_limit, methods=["POST"])
def unsubscribe(token: str):
    data = load_unsubscribe_token(token)
    if data is None:
        return _invalid_link()
    user_id, kinds_ = data
    user = _user_or_404(user_id)
    done = request.method == "POST"
    if done:
        services.unsubscribe(user, kinds_)
        db.session.commit()
    return render_template("notifications/unsubscribe.html", kinds=kinds_, done=done, token=token)


@bp.route("/unfollow/<token>", methods=["GET", "POST"])
@csrf.exempt
@allow_anyone
@limiter.limit(_post_limit, methods=["POST"])
def unfollow_link(token: str):
    data = load_unfollow_token(token)
    if data is None:
        return _invalid_link()
    user_id, column, target_id = data
    user = _user_or_404(user_id)
    tt = next((t for t in target_types() if t.column == column), None)
    target = db.session.get(tt.model, target_id) if tt else None
    if target is None:
        abort(404)
    done = request.method == "POST"
    if done:
        try:
            services.unfollow_by_link(user, column, target_id)
        except NotFound:
            abort(404)
        except DomainError:  # pragma: no cover - defensive
            abort(400)
        db.session.commit()
    name = tt.name(target, _locale())
    return render_template("notifications/unfollow.html", name=name, done=done, token=token)
