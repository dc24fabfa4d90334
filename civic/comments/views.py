"""HTTP for comments: load → 404, check permission → 403, validate, one service, commit.

Every form works without JavaScript. With it (``civic.js``), posting and voting send the same
forms with ``Accept: application/json`` and get JSON back with HTML fragments to put in place.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from civic.comments import discussion as discussions
from civic.comments import permissions, services
from civic.comments.forms import CommentForm, SettingsForm, mention_choices
from civic.comments.mentions import AmbiguousMentions
from civic.comments.models import Comment, CommentState
from civic.comments.targets import URL_KINDS, Target, load_target, target_of
from civic.consultations.models import Consultation
from civic.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from civic.core.permissions import allow, allow_anyone, authorize, is_participant, object_permission
from civic.core.urls import safe_next
from civic.extensions import db, limiter

bp = Blueprint("comments", __name__, template_folder="templates")

VOTE_VALUES = {"up": 1, "down": -1, "none": 0}


def _post_limit():
    return current_app.config["RATE_LIMIT_POST"]


def wants_json() -> bool:
    accept = request.accept_mimetypes
    return accept["application/json"] > accept["text/html"]


# ---- loading ------------------------------------------------------------------------------


def _target(segment: str, target_id: int) -> Target:
    kind = URL_KINDS.get(segment)
    target = load_target(kind, target_id) if kind else None
    if target is None or not permissions.can_read(current_user, target):
        abort(404)
    return target


def _comment(comment_id: int) -> tuple[Comment, Target]:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        abort(404)
    target = target_of(comment)
    if not permissions.can_read(current_user, target):
        abort(404)
    return comment, target


def _attach(form, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def _refuse(exc: DomainError, back: str):
    """A refusal the person can understand: a message (JSON or flash) and back to the page."""
    db.session.rollback()
    if isinstance(exc, NotFound):
        abort(404)
    if wants_json():
        status = 403 if isinstance(exc, PermissionDenied) else 409
        return jsonify(ok=False, message=exc.message or _("You cannot do this.")), status
    flash(exc.message or _("You cannot do this."), "error")
    return redirect(back)


def load_discussion(target: Target, viewer=None):
    """The discussion page the request asks for (``cpage``, ``sort``, ``reply_to``)."""
    args = request.args if request.method == "GET" else {}
    try:
        page = int(args.get("cpage", 1))
    except (TypeError, ValueError):
        page = 1
    try:
        reply_to = int(args.get("reply_to", "")) if args.get("reply_to") else None
    except ValueError:
        reply_to = None
    return discussions.load(
        target, viewer if viewer is not None else current_user, sort=args.get("sort"), page=page, reply_to=reply_to
    )


# ---- pages --------------------------------------------------------------------------------


@bp.get("/discussions/sections/<int:section_id>")
@allow_anyone
def section(section_id: int):
    """One section of a consultation's text and its discussion."""
    target = _target("sections", section_id)
    return render_template(
        "comments/section.html",
        target=target,
        section=target.obj,
        consultation=target.consultation,
        discussion=load_discussion(target),
    )


@bp.get("/comments/<int:comment_id>")
@allow_anyone
def permalink(comment_id: int):
    """The stable address of a comment: redirects to the page of its thread."""
    comment, target = _comment(comment_id)
    sort = request.args.get("sort") if request.args.get("sort") in services.SORTS else "oldest"
    page = services.page_of(comment, target, sort, discussions.per_page())
    return redirect(
        target.page_url(
            anchor=f"comment-{comment.id}",
            sort=None if sort == "oldest" else sort,
            cpage=page if page > 1 else None,
        )
    )


# ---- writing ------------------------------------------------------------------------------


def _form_error(form, target: Target, parent: Comment | None, choices=None, status: int = 400):
    if wants_json():
        html = render_template(
            "comments/_form_fragment.html",
            form=form,
            target=target,
            parent=parent,
            choices=choices,
            id_prefix=f"reply-{parent.id}-" if parent is not None else "new-",
        )
        return jsonify(ok=False, html=html, message=_("Your comment was not published: see the problems.")), status
    return (
        render_template("comments/compose.html", form=form, target=target, parent=parent, choices=choices),
        status,
    )


@bp.post("/discussions/<any(consultations, sections, proposals, meetings):kind>/<int:target_id>/comments")
@object_permission
@limiter.limit(_post_limit)
def create(kind: str, target_id: int):
    target = _target(kind, target_id)
    authorize(is_participant(current_user))
    form = CommentForm()
    parent = None
    if form.parent():
        parent = db.session.execute(
            select(Comment).options(joinedload(Comment.author)).where(Comment.id == form.parent())
        ).scalar_one_or_none()
        if parent is None:
            abort(404)
    back = target.page_url()
    if not form.validate_on_submit():
        return _form_error(form, target, parent)
    try:
        comment = services.post_comment(
            current_user,
            target,
            form.body.data,
            language=form.language.data,
            position=form.position.data or None,
            parent=parent,
            mention_choices=mention_choices(request.form),
        )
    except AmbiguousMentions as exc:
        db.session.rollback()
        return _form_error(form, target, parent, exc.choices)
    except InvalidInput as exc:
        db.session.rollback()
        _attach(form, exc)
        return _form_error(form, target, parent)
    except DomainError as exc:
        return _refuse(exc, back)
    db.session.commit()
    if comment.state == CommentState.HELD:  # pre-moderation or a watched word held it
        message = _("Thank you. Your comment will appear once a moderator has reviewed it.")
    elif parent is not None:
        message = _("Your reply is published.")
    else:
        message = _("Your comment is published.")
    if wants_json():
        d = discussions.single(target, current_user, comment)
        comment = d.by_id[comment.id]
        return (
            jsonify(
                ok=True,
                id=comment.id,
                parent_id=comment.parent_id,
                depth=comment.depth,
                html=render_template("comments/_comment_fragment.html", comment=comment, discussion=d),
                summary=render_template("comments/_summary_fragment.html", discussion=d),
                count=d.comment_count,
                message=message,
            ),
            201,
        )
    flash(message, "success")
    return redirect(url_for(".permalink", comment_id=comment.id))


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def edit(comment_id: int):
    comment, target = _comment(comment_id)
    settings = services.settings_of(target)
    authorize(permissions.can_edit(current_user, comment, target, settings))
    form = CommentForm()
    choices = None
    if request.method == "GET":
        form.body.data = comment.body
        form.language.data = comment.language
        form.position.data = comment.position.value if comment.position else ""
    elif form.validate_on_submit():
        try:
            changed = services.edit_comment(
                current_user,
                comment,
                target,
                form.body.data,
                language=form.language.data,
                position=form.position.data or None,
                mention_choices=mention_choices(request.form),
            )
        except AmbiguousMentions as exc:
            db.session.rollback()
            choices = exc.choices
        except InvalidInput as exc:
            db.session.rollback()
            _attach(form, exc)
        except DomainError as exc:
            return _refuse(exc, url_for(".permalink", comment_id=comment.id))
        else:
            db.session.commit()
            flash(_("Your comment is changed.") if changed else _("Nothing changed in your comment."), "success")
            return redirect(url_for(".permalink", comment_id=comment.id))
    status = 400 if request.method == "POST" else 200
    return (
        render_template("comments/edit.html", form=form, comment=comment, target=target, choices=choices),
        status,
    )


@bp.route("/comments/<int:comment_id>/delete", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def delete(comment_id: int):
    comment, target = _comment(comment_id)
    authorize(permissions.can_delete(current_user, comment))
    if request.method == "POST":
        try:
            services.delete_comment(current_user, comment)
        except DomainError as exc:
            return _refuse(exc, url_for(".permalink", comment_id=comment.id))
        db.session.commit()
        flash(_("Your comment is deleted. Its place in the discussion says so; replies stay."), "success")
        return redirect(url_for(".permalink", comment_id=comment.id))
    d = discussions.single(target, current_user, comment)
    return render_template("comments/delete.html", comment=d.by_id[comment.id], discussion=d, target=target)


@bp.post("/comments/<int:comment_id>/vote")
@object_permission
@limiter.limit(_post_limit)
def vote(comment_id: int):
    comment, target = _comment(comment_id)
    authorize(is_participant(current_user))
    back = safe_next(request.form.get("next")) or url_for(".permalink", comment_id=comment.id)
    value = VOTE_VALUES.get(request.form.get("value", ""))
    if value is None:
        return _refuse(InvalidInput(_("Choose to vote up or down.")), back)
    try:
        result = services.vote(current_user, comment, target, value)
    except DomainError as exc:
        return _refuse(exc, back)
    db.session.commit()
    if value == 1:
        message = _("You voted this comment up. Votes up: %(up)s; votes down: %(down)s.", up=result.up, down=result.down)
    elif value == -1:
        message = _("You voted this comment down. Votes up: %(up)s; votes down: %(down)s.", up=result.up, down=result.down)
    else:
        message = _("Your vote is taken back. Votes up: %(up)s; votes down: %(down)s.", up=result.up, down=result.down)
    if wants_json():
        d = discussions.single(target, current_user, comment)
        return jsonify(
            ok=True,
            up=result.up,
            down=result.down,
            mine=result.mine,
            html=render_template("comments/_votes_fragment.html", comment=d.by_id[comment.id], discussion=d),
            message=message,
        )
    flash(message, "success")
    return redirect(back)


# ---- moderators and staff ---------------------------------------------------------------


@bp.get("/comments/<int:comment_id>/history")
@allow(permissions.can_see_history)
def history(comment_id: int):
    comment, target = _comment(comment_id)
    d = discussions.single(target, current_user, comment)
    return render_template(
        "comments/history.html",
        comment=d.by_id[comment.id],
        discussion=d,
        target=target,
        revisions=services.revisions_of(comment),
    )


@bp.route("/discussions/consultations/<int:consultation_id>/settings", methods=["GET", "POST"])
@object_permission
def settings(consultation_id: int):
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    authorize(permissions.can_manage_settings(current_user, consultation))
    current = services.settings_for(consultation.id)
    form = SettingsForm()
    if request.method == "GET":
        form.keep_open_after_close.data = bool(current and current.keep_open_after_close)
    elif form.validate_on_submit():
        try:
            services.set_keep_open(current_user, consultation, form.keep_open_after_close.data)
        except DomainError as exc:
            return _refuse(exc, url_for("consultations.detail", consultation_id=consultation.id))
        db.session.commit()
        flash(_("The discussion settings are saved."), "success")
        return redirect(url_for("consultations.detail", consultation_id=consultation.id, _anchor="comments"))
    return render_template("comments/settings.html", form=form, consultation=consultation)
