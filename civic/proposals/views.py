"""HTTP for proposals: load → 404, check permission → 403, validate, one service, commit."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from civic.consultations.permissions import can_view as can_view_consultation
from civic.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, allow_anyone, authorize, object_permission
from civic.core.templating import current_locale_code
from civic.core.urls import safe_next
from civic.extensions import db, limiter
from civic.proposals import images, permissions, services
from civic.proposals.forms import EmptyForm, FilterForm, ProposalForm, SettingsForm, answer_form
from civic.proposals.models import Proposal, ProposalState

bp = Blueprint("proposals", __name__, template_folder="templates")

SEED_KEY = "proposal_seed"


def _post_limit() -> str:
    return current_app.config["RATE_LIMIT_POST"]


# ---- helpers ----------------------------------------------------------------------------------


def visitor_seed() -> int:
    """The visitor's shuffle seed, kept in their session so paging is stable."""
    seed = session.get(SEED_KEY)
    if not isinstance(seed, int) or not 0 < seed < services.RANDOM_PRIME:
        seed = secrets.randbelow(services.RANDOM_PRIME - 1) + 1
        session[SEED_KEY] = seed
    return seed


def _consultation(consultation_id: int):
    try:
        consultation = services.get_consultation(consultation_id)
    except NotFound:
        abort(404)
    if not can_view_consultation(current_user, consultation):
        abort(404)
    return consultation


def _proposal(proposal_id: int, *, answers: bool = False) -> Proposal:
    """The proposal, or 404 — also for drafts and consultations the viewer may not see."""
    try:
        proposal = services.get_proposal(proposal_id, answers=answers)
    except NotFound:
        abort(404)
    if not permissions.can_view(current_user, proposal):
        abort(404)
    return proposal


def _attach_error(form, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def _refuse(exc: DomainError):
    """Roll back and turn a refusal into 404/403, or a message on the proposal page."""
    db.session.rollback()
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, PermissionDenied):
        abort(403)
    flash(exc.message, "error")
    return None


def _back_to(proposal: Proposal, anchor: str | None = None):
    return redirect(
        safe_next(request.form.get("next"))
        or url_for("proposals.view", proposal_id=proposal.id, _anchor=anchor)
    )


def _int_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _filters(consultation_id: int | None) -> services.Filters:
    args = request.args
    state = None
    if args.get("state"):
        try:
            state = ProposalState(args["state"])
        except ValueError:
            state = None
        if state == ProposalState.DRAFT:
            state = None
    sort = args.get("sort") if args.get("sort") in services.SORTS else "random"
    signed_in = getattr(current_user, "is_authenticated", False)
    return services.Filters(
        consultation_id=consultation_id,
        state=state,
        topic_id=_int_arg("topic"),
        area_id=_int_arg("area"),
        mine=signed_in and args.get("mine") in ("1", "y", "on"),
        supported=signed_in and args.get("supported") in ("1", "y", "on"),
        query=(args.get("q") or "").strip()[:200],
        sort=sort,
        seed=visitor_seed(),
    )


def _listing(template: str, filters: services.Filters, *, consultation=None, settings=None, **context):
    total = None
    if services.is_unfiltered(filters):  # stored and exact: no count query
        total = settings.published_count if settings is not None else services.published_total(current_user)
    page = services.listing_page(
        current_user, filters, page_number(), current_app.config["PAGE_SIZE"], total=total,
        options=services.listing_options(with_consultation=consultation is None),
    )
    topics = services.all_topics()
    areas = services.all_areas()
    form = FilterForm(request.args, topics=topics, areas=areas)
    return render_template(
        template,
        page=page,
        filters=filters,
        filter_form=form,
        consultation=consultation,
        settings=settings,
        supported=services.supported_ids(current_user, [p.id for p in page.items]),
        locale=current_locale_code(),
        **context,
    )


# ---- finding ----------------------------------------------------------------------------------


@bp.get("/proposals")
@allow_anyone
def index():
    return _listing("proposals/index.html", _filters(None))


@bp.get("/consultations/<int:consultation_id>/proposals")
@object_permission
def consultation_index(consultation_id: int):
    consultation = _consultation(consultation_id)
    authorize(permissions.can_see_proposals(current_user, consultation))
    settings = services.settings_for(consultation.id)
    remaining = None
    if settings.max_supports is not None and getattr(current_user, "is_authenticated", False):
        remaining = services.supports_remaining(current_user, settings)
    return _listing(
        "proposals/consultation_index.html",
        _filters(consultation.id),
        consultation=consultation,
        settings=settings,
        can_submit=permissions.can_submit(current_user, consultation, settings),
        can_manage=permissions.can_manage_settings(current_user, consultation),
        remaining=remaining,
    )


@bp.get("/consultations/<int:consultation_id>/proposals/feed.atom")
@object_permission
def feed(consultation_id: int):
    consultation = _consultation(consultation_id)
    authorize(permissions.can_see_proposals(current_user, consultation))
    locale = current_locale_code()
    title = consultation.title_for(locale)
    entries = services.feed_entries(consultation.id)
    body = render_template(
        "proposals/feed.xml",
        consultation=consultation,
        feed_title=_("Proposals: %(consultation)s", consultation=title.text),
        feed_lang=title.lang,
        entries=entries,
        updated=max((p.last_changed_at for p in entries), default=consultation.updated_at),
        self_url=url_for(".feed", consultation_id=consultation.id, _external=True),
        html_url=url_for(".consultation_index", consultation_id=consultation.id, _external=True),
    )
    return current_app.response_class(body, mimetype="application/atom+xml")


@bp.get("/proposals/drafts")
@allow(permissions.can_see_drafts)
def drafts():
    page = paginate(services.drafts_query(current_user), page_number(), current_app.config["PAGE_SIZE"])
    return render_template("proposals/drafts.html", page=page, locale=current_locale_code())


# ---- one proposal -----------------------------------------------------------------------------


@bp.get("/proposals/<int:proposal_id>")
@object_permission
def view(proposal_id: int):
    proposal = _proposal(proposal_id, answers=True)
    if proposal.state == ProposalState.DRAFT:
        return redirect(url_for(".preview", proposal_id=proposal.id))
    settings = services.settings_for(proposal.consultation_id)
    user = current_user
    signed_in = getattr(user, "is_authenticated", False)
    supports = signed_in and proposal.id in services.supported_ids(user, [proposal.id])
    remaining = None
    if settings.max_supports is not None and signed_in:
        remaining = services.supports_remaining(user, settings)
    return render_template(
        "proposals/view.html",
        proposal=proposal,
        consultation=proposal.consultation,
        settings=settings,
        progress=services.progress(proposal, settings),
        supports=supports,
        remaining=remaining,
        following=signed_in and services.is_following(user, proposal),
        can_support=permissions.can_support(user, proposal, settings),
        blocked_by_verification=permissions.may_support_at_all(user, proposal)
        and not permissions.can_support(user, proposal, settings),
        can_unsupport=permissions.can_unsupport(user, proposal),
        supporting_open=permissions.supporting_open(proposal),
        can_edit=permissions.can_edit(user, proposal, settings),
        edit_closed=permissions.is_author(user, proposal)
        and proposal.state == ProposalState.PUBLISHED
        and not permissions.edit_window_open(proposal),
        edit_closed_reason=services.edit_closed_reason(),
        can_withdraw=permissions.can_withdraw(user, proposal),
        can_answer=permissions.can_answer(user, proposal),
        can_follow=permissions.can_follow(user, proposal),
        share_url=url_for(".view", proposal_id=proposal.id, _external=True),
        locale=current_locale_code(),
    )


@bp.get("/proposals/<int:proposal_id>/image")
@object_permission
def image(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(permissions.can_view(current_user, proposal))
    if not proposal.image_name:
        abort(404)
    try:
        path = images.path_of(proposal.image_name)
        private = proposal.state == ProposalState.DRAFT
        response = send_file(
            path, mimetype=proposal.image_content_type, max_age=0 if private else 3600, conditional=True
        )
    except (ValueError, FileNotFoundError):
        abort(404)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = "inline"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- writing ----------------------------------------------------------------------------------


def _proposal_form(proposal: Proposal | None = None, **kwargs) -> ProposalForm:
    locale = getattr(current_user, "locale", None) or current_locale_code()
    return ProposalForm(
        topics=services.all_topics(),
        areas=services.all_areas(),
        locale=locale if locale in current_app.config["LANGUAGES"] else current_locale_code(),
        has_image=bool(proposal and proposal.image_name),
        **kwargs,
    )


def _input(form: ProposalForm) -> services.ProposalInput:
    return services.ProposalInput(
        title=form.title.data or "",
        body=form.body.data or "",
        language=form.language.data,
        topic_id=form.topic_id.data,
        area_id=form.area_id.data,
        place=form.place.data or "",
        image_alt=form.image_alt.data or "",
    )


def _render_form(form, consultation, proposal=None, status: int = 200):
    return (
        render_template(
            "proposals/form.html",
            form=form,
            consultation=consultation,
            proposal=proposal,
            body_max=services.body_max(),
            locale=current_locale_code(),
        ),
        status,
    )


@bp.route("/consultations/<int:consultation_id>/proposals/new", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def new(consultation_id: int):
    consultation = _consultation(consultation_id)
    settings = services.settings_for(consultation.id)
    authorize(permissions.can_submit(current_user, consultation, settings))
    form = _proposal_form()
    if not form.validate_on_submit():
        return _render_form(form, consultation, status=400 if request.method == "POST" else 200)
    action = request.form.get("action", "preview")
    if action != "draft" and not form.require_complete():
        return _render_form(form, consultation, status=400)
    try:
        checked = images.check_image(form.image.data)
        proposal = services.create_draft(current_user, consultation, settings, _input(form), checked)
    except InvalidInput as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return _render_form(form, consultation, status=400)
    except DomainError as exc:
        return _refuse(exc) or redirect(url_for(".consultation_index", consultation_id=consultation.id))
    db.session.commit()
    if action == "draft":
        flash(_("Your draft is saved. You can finish it later from “My drafts”."), "success")
        return redirect(url_for(".drafts"))
    return redirect(url_for(".preview", proposal_id=proposal.id))


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def edit(proposal_id: int):
    proposal = _proposal(proposal_id)
    settings = services.settings_for(proposal.consultation_id)
    if (
        permissions.is_author(current_user, proposal)
        and proposal.state == ProposalState.PUBLISHED
        and not permissions.edit_window_open(proposal)
    ):
        flash(services.edit_closed_reason(), "error")
        return redirect(url_for(".view", proposal_id=proposal.id))
    authorize(permissions.can_edit(current_user, proposal, settings))
    form = _proposal_form(proposal, obj=proposal if request.method == "GET" else None)
    if request.method == "GET":
        form.topic_id.data = proposal.topic_id
        form.area_id.data = proposal.area_id
        form.language.data = proposal.language
    if not form.validate_on_submit():
        return _render_form(form, proposal.consultation, proposal, 400 if request.method == "POST" else 200)
    action = request.form.get("action", "preview" if proposal.is_draft else "save")
    if action != "draft" and not form.require_complete():
        return _render_form(form, proposal.consultation, proposal, 400)
    try:
        checked = images.check_image(form.image.data)
        services.update_proposal(
            current_user, proposal, settings, _input(form), checked, remove_image=form.remove_image.data
        )
    except InvalidInput as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return _render_form(form, proposal.consultation, proposal, 400)
    except DomainError as exc:
        return _refuse(exc) or redirect(url_for(".view", proposal_id=proposal_id))
    db.session.commit()
    if action == "draft":
        flash(_("Your draft is saved. You can finish it later from “My drafts”."), "success")
        return redirect(url_for(".drafts"))
    if action == "preview":
        return redirect(url_for(".preview", proposal_id=proposal_id))
    flash(_("Your proposal is updated."), "success")
    return redirect(url_for(".view", proposal_id=proposal_id))


@bp.get("/proposals/<int:proposal_id>/preview")
@object_permission
def preview(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(permissions.can_delete_draft(current_user, proposal))
    settings = services.settings_for(proposal.consultation_id)
    similar = services.similar_proposals(
        proposal.consultation_id, proposal.title, proposal.body, exclude_id=proposal.id
    )
    return render_template(
        "proposals/preview.html",
        proposal=proposal,
        consultation=proposal.consultation,
        similar=similar,
        supported=services.supported_ids(current_user, [p.id for p in similar]),
        can_publish=permissions.can_publish(current_user, proposal, settings),
        can_edit=permissions.can_edit(current_user, proposal, settings),
        form=EmptyForm(),
        locale=current_locale_code(),
    )


@bp.post("/proposals/<int:proposal_id>/publish")
@object_permission
@limiter.limit(_post_limit)
def publish(proposal_id: int):
    proposal = _proposal(proposal_id)
    settings = services.settings_for(proposal.consultation_id)
    authorize(permissions.can_publish(current_user, proposal, settings))
    try:
        services.publish(current_user, proposal, settings)
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".edit", proposal_id=proposal_id))
    except DomainError as exc:
        return _refuse(exc) or redirect(url_for(".preview", proposal_id=proposal_id))
    db.session.commit()
    flash(_("Your proposal is published. Share it so that others can support it."), "success")
    return redirect(url_for(".view", proposal_id=proposal_id))


@bp.post("/proposals/<int:proposal_id>/delete")
@object_permission
def delete(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(permissions.can_delete_draft(current_user, proposal))
    try:
        services.delete_draft(current_user, proposal)
    except DomainError as exc:
        return _refuse(exc) or redirect(url_for(".drafts"))
    db.session.commit()
    flash(_("The draft is deleted."), "success")
    return redirect(url_for(".drafts"))


@bp.route("/proposals/<int:proposal_id>/withdraw", methods=["GET", "POST"])
@object_permission
def withdraw(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(permissions.can_withdraw(current_user, proposal))
    form = EmptyForm()
    if not form.validate_on_submit():
        return render_template("proposals/withdraw.html", proposal=proposal, form=form, locale=current_locale_code())
    try:
        services.withdraw(current_user, proposal)
    except DomainError as exc:
        return _refuse(exc) or redirect(url_for(".view", proposal_id=proposal_id))
    db.session.commit()
    flash(_("Your proposal is withdrawn. It stays visible, marked as withdrawn."), "success")
    return redirect(url_for(".view", proposal_id=proposal_id))


# ---- supporting and following -----------------------------------------------------------------


@bp.post("/proposals/<int:proposal_id>/support")
@object_permission
@limiter.limit(_post_limit)
def support(proposal_id: int):
    proposal = _proposal(proposal_id)
    settings = services.settings_for(proposal.consultation_id)
    authorize(permissions.may_support_at_all(current_user, proposal))
    if not permissions.can_support(current_user, proposal, settings):
        flash(_("Only residents verified by the city can support proposals in this consultation."), "error")
        return _back_to(proposal, "support")
    try:
        added = services.support(current_user, proposal, settings)
    except DomainError as exc:
        return _refuse(exc) or _back_to(proposal, "support")
    db.session.commit()
    if added:
        flash(_("You support this proposal."), "success")
    return _back_to(proposal, "support")


@bp.post("/proposals/<int:proposal_id>/unsupport")
@object_permission
@limiter.limit(_post_limit)
def unsupport(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(permissions.can_unsupport(current_user, proposal))
    try:
        removed = services.unsupport(current_user, proposal)
    except DomainError as exc:
        return _refuse(exc) or _back_to(proposal, "support")
    db.session.commit()
    if removed:
        flash(_("You took your support back."), "success")
    return _back_to(proposal, "support")


@bp.post("/proposals/<int:proposal_id>/follow")
@object_permission
@limiter.limit(_post_limit)
def follow(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(permissions.can_follow(current_user, proposal))
    try:
        services.follow(current_user, proposal)
    except DomainError as exc:
        return _refuse(exc) or _back_to(proposal)
    db.session.commit()
    flash(_("You follow this proposal: you will be told about its answers and changes of state."), "success")
    return _back_to(proposal, "follow")


@bp.post("/proposals/<int:proposal_id>/unfollow")
@object_permission
def unfollow(proposal_id: int):
    proposal = _proposal(proposal_id)
    authorize(getattr(current_user, "is_authenticated", False))
    services.unfollow(current_user, proposal)
    db.session.commit()
    flash(_("You no longer follow this proposal."), "success")
    return _back_to(proposal, "follow")


# ---- answering and settings (staff) -----------------------------------------------------------


@bp.route("/proposals/<int:proposal_id>/answer", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def answer(proposal_id: int):
    proposal = _proposal(proposal_id, answers=True)
    authorize(permissions.can_answer(current_user, proposal))
    choices = permissions.answer_choices(proposal)
    form = answer_form(proposal, choices, formdata=request.form if request.method == "POST" else None)
    if form.validate_on_submit():
        texts = {f.name.removeprefix("text_"): f.data or "" for f in form.text_fields}
        try:
            services.answer(current_user, proposal, ProposalState(form.state.data), texts)
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            return _refuse(exc) or redirect(url_for(".view", proposal_id=proposal_id))
        else:
            db.session.commit()
            flash(_("The answer is published; the author, the supporters and the followers are told."), "success")
            return redirect(url_for(".view", proposal_id=proposal_id, _anchor="answers"))
    return (
        render_template(
            "proposals/answer.html", proposal=proposal, form=form, locale=current_locale_code()
        ),
        400 if request.method == "POST" else 200,
    )


@bp.route("/consultations/<int:consultation_id>/proposals/settings", methods=["GET", "POST"])
@object_permission
def settings(consultation_id: int):
    consultation = _consultation(consultation_id)
    authorize(permissions.can_manage_settings(current_user, consultation))
    current = services.settings_for(consultation.id)
    form = SettingsForm(obj=current if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_settings(
                current_user,
                consultation,
                accepts_proposals=form.accepts_proposals.data,
                verified_only=form.verified_only.data,
                max_supports=form.max_supports.data,
                support_threshold=form.support_threshold.data,
            )
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            return _refuse(exc) or redirect(url_for(".settings", consultation_id=consultation_id))
        else:
            db.session.commit()
            flash(_("The proposal settings are saved."), "success")
            return redirect(url_for(".consultation_index", consultation_id=consultation.id))
    return (
        render_template(
            "proposals/settings.html", consultation=consultation, form=form, locale=current_locale_code()
        ),
        400 if request.method == "POST" else 200,
    )

