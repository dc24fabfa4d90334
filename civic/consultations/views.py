"""HTTP for consultations: load → 404, check permission → 403, validate, one service, commit."""

from __future__ import annotations

import csv
import io
import json

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from civic.consultations import permissions as perms
from civic.consultations import services, uploads
from civic.consultations.forms import (
    AttachmentForm,
    ConsultationForm,
    CoverForm,
    DatesForm,
    NamedForm,
    QuestionForm,
    ReportForm,
    SectionForm,
    SettingsForm,
    TranslationForm,
    answer_form,
    submitted_values,
    utc_to_local,
)
from civic.consultations.models import (
    Area,
    Attachment,
    AttachmentPurpose,
    Consultation,
    ConsultationSection,
    ConsultationState,
    Question,
    QuestionKind,
    Topic,
)
from civic.consultations.registry import load_page_sections
from civic.core import jobs
from civic.core.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, allow_anyone, authorize, object_permission
from civic.core.templating import current_locale_code
from civic.core.time import site_timezone, utcnow
from civic.extensions import db, limiter

bp = Blueprint("consultations", __name__, template_folder="templates", url_prefix="/consultations")


def _post_limit():
    return current_app.config["RATE_LIMIT_POST"]


# ---- helpers --------------------------------------------------------------------------------


def _load(consultation_id: int, *, full: bool = False) -> Consultation:
    """The consultation, or 404 — also for drafts the viewer may not know about."""
    try:
        consultation = services.get_consultation(consultation_id, full=full)
    except NotFound:
        abort(404)
    if not perms.can_view(current_user, consultation):
        abort(404)
    return consultation


def _child(model, consultation: Consultation, child_id: int):
    try:
        return services.get_child(model, consultation, child_id)
    except NotFound:
        abort(404)


def _attach_error(form, exc: DomainError) -> None:
    """Show a service's refusal next to the field it names, else above the form."""
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


def _refused(exc: DomainError):
    if isinstance(exc, NotFound):
        abort(404)
    if isinstance(exc, PermissionDenied):
        abort(403)
    return None


def _maybe_tick(consultations) -> None:
    """A page noticed a transition the tick has not persisted: run the tick after this
    request (the page itself already shows the state the clock says)."""
    if services.due_transitions_exist(consultations):
        jobs.enqueue("civic.consultations.services.tick_job")
        db.session.commit()


def _edit_locale(consultation: Consultation) -> str:
    code = request.args.get("lang") or consultation.default_locale
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    return code


def _manage_url(consultation: Consultation, anchor: str | None = None) -> str:
    return url_for("consultations.manage", consultation_id=consultation.id, _anchor=anchor)


def _do(action, consultation: Consultation, success: str, anchor: str | None = None):
    """Run a form-less staff action (a POST button) and go back to the management page."""
    try:
        action()
    except (Conflict, InvalidInput) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(_manage_url(consultation, anchor))
    except DomainError as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    flash(success, "success")
    return redirect(_manage_url(consultation, anchor))


# ---- finding ----------------------------------------------------------------------------------


def _filters_from_request() -> services.Filters:
    args = request.args

    def _int(name):
        try:
            value = int(args.get(name, ""))
        except ValueError:
            return None
        return value if value > 0 else None

    state = None
    if args.get("state"):
        try:
            state = ConsultationState(args["state"])
        except ValueError:
            state = None
    sort = args.get("sort") if args.get("sort") in services.SORTS else "closing"
    return services.Filters(
        state=state,
        department_id=_int("department"),
        topic_id=_int("topic"),
        area_id=_int("area"),
        query=(args.get("q") or "")[:200],
        sort=sort,
    )


def _listing(filters: services.Filters, template: str, **context):
    page = paginate(
        services.listing_query(current_user, filters),
        page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    _maybe_tick(page.items)
    from civic.accounts.models import Department

    departments = list(db.session.execute(select(Department).order_by(Department.slug)).scalars())
    return render_template(
        template,
        page=page,
        filters=filters,
        states=[s for s in ConsultationState if s in services.PUBLIC_STATES or perms.is_consultation_staff(current_user)],
        departments=departments,
        topics=services.all_topics(),
        areas=services.all_areas(),
        sorts=[("closing", _("Closing soonest")), ("newest", _("Newest"))],
        **context,
    )


@bp.get("/")
@allow_anyone
def index():
    return _listing(_filters_from_request(), "consultations/index.html")


@bp.get("/departments/<slug>")
@allow_anyone
def department(slug: str):
    from civic.accounts.models import Department

    dept = db.session.execute(select(Department).where(Department.slug == slug)).scalar_one_or_none()
    if dept is None:
        abort(404)
    filters = _filters_from_request()
    filters.department_id = dept.id
    return _listing(filters, "consultations/department.html", department=dept)


@bp.get("/overdue-reports")
@allow_anyone
def overdue():
    page = paginate(services.overdue_reports_query(), page_number(), per_page=current_app.config["PAGE_SIZE"])
    _maybe_tick(page.items)
    return render_template("consultations/overdue.html", page=page, now=utcnow())


# ---- the consultation page ---------------------------------------------------------------------


def render_detail(consultation: Consultation, form=None, status: int = 200):
    locale = current_locale_code()
    sections = load_page_sections(consultation, current_user)
    return (
        render_template(
            "consultations/detail.html",
            consultation=consultation,
            text=consultation.text_for(locale),
            locale=locale,
            sections=sections,
            answer_form_override=form,
            state=consultation.current_state,
            following=_is_following(consultation),
            can_follow=perms.can_follow(current_user, consultation) and _follow_available(),
            can_edit=perms.can_edit(current_user, consultation),
            now=utcnow(),
        ),
        status,
    )


@bp.get("/<int:consultation_id>")
@allow_anyone
def detail(consultation_id: int):
    consultation = _load(consultation_id, full=True)
    _maybe_tick([consultation])
    return render_detail(consultation)


@bp.post("/<int:consultation_id>/answers")
@object_permission
@limiter.limit(_post_limit)
def answer(consultation_id: int):
    consultation = _load(consultation_id, full=True)
    authorize(perms.may_answer_at_all(current_user, consultation))
    if not perms.can_answer(current_user, consultation):
        flash(_("Only residents whose address the city has verified can answer this consultation."), "error")
        return redirect(url_for(".detail", consultation_id=consultation.id, _anchor="questions"))
    locale = current_locale_code()
    questions = consultation.questions
    form = answer_form(questions, locale, consultation.default_locale, {}, formdata=request.form)
    if not form.validate():
        return render_detail(consultation, form, 400)
    values = submitted_values(form, questions)
    try:
        counts = services.answer_questions(current_user, consultation, values)
    except services.AnswerErrors as exc:
        db.session.rollback()
        for error in exc.errors:
            _attach_error(form, error)
        return render_detail(consultation, form, 400)
    except (InvalidInput, Conflict) as exc:
        db.session.rollback()
        _attach_error(form, exc)
        return render_detail(consultation, form, 400)
    except DomainError as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    if counts["changed"] and not counts["new"]:
        flash(_("Your answers were updated. You can change them until the consultation closes."), "success")
    else:
        flash(_("Thank you, your answers were recorded. You can change them until the consultation closes."), "success")
    return redirect(url_for(".detail", consultation_id=consultation.id, _anchor="questions"))


@bp.get("/<int:consultation_id>/results.json")
@object_permission
def results_json(consultation_id: int):
    """Open data: aggregated results, no personal data, once results are public."""
    consultation = _load(consultation_id, full=True)
    authorize(perms.results_are_public(consultation) or perms.can_read_responses(current_user, consultation))
    data = services.open_data(consultation, consultation.questions)
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json"
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _send_stored(stored_name: str, content_type: str, download_name: str | None, private: bool):
    try:
        path = uploads.path_of(stored_name)
    except ValueError:
        abort(404)
    try:
        response = send_file(
            path,
            mimetype=content_type,
            as_attachment=download_name is not None,
            download_name=download_name,
            max_age=0 if private else 3600,
            conditional=True,
        )
    except FileNotFoundError:
        abort(404)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if private:
        response.headers["Cache-Control"] = "private, no-store"
    if download_name is None:
        response.headers["Content-Disposition"] = "inline"
    return response


@bp.get("/<int:consultation_id>/documents/<int:attachment_id>/<path:filename>")
@object_permission
def download(consultation_id: int, attachment_id: int, filename: str):
    consultation = _load(consultation_id)
    attachment = _child(Attachment, consultation, attachment_id)
    if attachment.purpose == AttachmentPurpose.REPORT and consultation.current_state != ConsultationState.CONCLUDED:
        if not perms.can_edit(current_user, consultation):
            abort(404)
    authorize(perms.can_view(current_user, consultation))
    return _send_stored(
        attachment.stored_name, attachment.content_type, attachment.filename, not consultation.is_public
    )


@bp.get("/<int:consultation_id>/cover")
@object_permission
def cover(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_view(current_user, consultation))
    if not consultation.cover_image:
        abort(404)
    return _send_stored(consultation.cover_image, consultation.cover_content_type, None, not consultation.is_public)


# ---- following ----------------------------------------------------------------------------------


def _follow_available() -> bool:
    from civic.consultations import notify

    return notify.follows_supported()


def _is_following(consultation: Consultation) -> bool:
    from civic.consultations import notify

    if not getattr(current_user, "is_authenticated", False) or not notify.follows_supported():
        return False
    return notify.is_following(current_user, consultation)


@bp.post("/<int:consultation_id>/follow")
@object_permission
@limiter.limit(_post_limit)
def follow(consultation_id: int):
    from civic.consultations import notify

    consultation = _load(consultation_id)
    authorize(perms.can_follow(current_user, consultation))
    if not notify.follows_supported():
        abort(404)
    try:
        notify.follow(current_user, consultation)
    except DomainError as exc:
        db.session.rollback()
        return _refused(exc)
    db.session.commit()
    flash(_("You follow this consultation: you will be told when it opens, closes and when its report is published."), "success")
    return redirect(url_for(".detail", consultation_id=consultation.id))


@bp.post("/<int:consultation_id>/unfollow")
@object_permission
def unfollow(consultation_id: int):
    from civic.consultations import notify

    consultation = _load(consultation_id)
    authorize(perms.can_follow(current_user, consultation))
    if not notify.follows_supported():
        abort(404)
    notify.unfollow(current_user, consultation)
    db.session.commit()
    flash(_("You no longer follow this consultation."), "success")
    return redirect(url_for(".detail", consultation_id=consultation.id))


# ---- staff: creating and managing ------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(perms.is_consultation_staff)
def new():
    form = ConsultationForm()
    form.fill_choices(current_user)
    if request.method == "GET":
        form.default_locale.data = current_locale_code()
        if len(form.department_id.choices) == 1:
            form.department_id.data = form.department_id.choices[0][0]
    if form.validate_on_submit():
        try:
            consultation = services.create_consultation(
                current_user,
                department_id=form.department_id.data,
                default_locale=form.default_locale.data,
                title=form.title.data,
                summary=form.summary.data,
                body=form.body.data or "",
                easy_read=form.easy_read.data or "",
                area_id=form.area_id.data or None,
                topic_ids=form.topic_ids.data or [],
            )
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("The draft is saved. Add sections, documents and questions, then schedule it."), "success")
            return redirect(_manage_url(consultation))
    return render_template("consultations/new.html", form=form), 400 if form.errors else 200


def _manage_data(consultation: Consultation) -> dict:
    return {
        "problems": services.publication_problems(consultation)
        if consultation.state == ConsultationState.DRAFT
        else [],
        "state": consultation.current_state,
        "languages": current_app.config["LANGUAGES"],
        "documents": [a for a in consultation.attachments if a.purpose == AttachmentPurpose.DOCUMENT],
        "report_documents": [a for a in consultation.attachments if a.purpose == AttachmentPurpose.REPORT],
        "locale": current_locale_code(),
        "can_edit_questions": perms.can_edit_questions(current_user, consultation),
        "can_edit_dates": perms.can_edit_dates(current_user, consultation),
        "can_publish_report": perms.can_publish_report(current_user, consultation),
        "can_edit_report": perms.can_edit_report(current_user, consultation),
        "can_read_responses": perms.can_read_responses(current_user, consultation),
        "QuestionKind": QuestionKind,
    }


@bp.get("/<int:consultation_id>/manage")
@object_permission
def manage(consultation_id: int):
    consultation = _load(consultation_id, full=True)
    authorize(perms.can_edit(current_user, consultation))
    return render_template("consultations/manage.html", consultation=consultation, **_manage_data(consultation))


@bp.route("/<int:consultation_id>/settings", methods=["GET", "POST"])
@object_permission
def settings(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    form = SettingsForm(obj=consultation if request.method == "GET" else None)
    form.fill_choices(current_user)
    if request.method == "GET":
        form.area_id.data = consultation.area_id or 0
        form.topic_ids.data = [t.id for t in consultation.topics]
        form.results_visibility.data = consultation.results_visibility.value
        if consultation.department_id not in [c[0] for c in form.department_id.choices]:
            form.department_id.choices.append((consultation.department_id, consultation.department.name_for(current_locale_code())[0]))
    if form.validate_on_submit():
        try:
            services.update_settings(
                current_user,
                consultation,
                department_id=form.department_id.data,
                default_locale=form.default_locale.data,
                area_id=form.area_id.data or None,
                topic_ids=form.topic_ids.data or [],
                results_visibility=form.results_visibility.data,
                verified_only=form.verified_only.data,
                response_weeks=form.response_weeks.data,
            )
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(_manage_url(consultation))
    return render_template("consultations/settings.html", consultation=consultation, form=form), 400 if form.errors else 200


@bp.route("/<int:consultation_id>/dates", methods=["GET", "POST"])
@object_permission
def dates(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit_dates(current_user, consultation))
    zone = site_timezone()
    form = DatesForm()
    if request.method == "GET":
        form.opens_at.data = utc_to_local(consultation.opens_at, zone)
        form.closes_at.data = utc_to_local(consultation.closes_at, zone)
    if form.validate_on_submit():
        try:
            services.set_dates(current_user, consultation, form.opens_at.utc, form.closes_at.utc, zone)
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Dates saved."), "success")
            return redirect(_manage_url(consultation, "dates"))
    return render_template("consultations/dates.html", consultation=consultation, form=form, zone=zone), 400 if form.errors else 200


@bp.route("/<int:consultation_id>/text/<locale>", methods=["GET", "POST"])
@object_permission
def edit_text(consultation_id: int, locale: str):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    if locale not in current_app.config["LANGUAGES"]:
        abort(404)
    existing = consultation.translation(locale)
    form = TranslationForm(obj=existing if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.save_translation(
                current_user, consultation, locale,
                title=form.title.data, summary=form.summary.data,
                body=form.body.data or "", easy_read=form.easy_read.data or "",
            )
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Text saved."), "success")
            return redirect(_manage_url(consultation, "languages"))
    default_text = consultation.translation(consultation.default_locale)
    return render_template(
        "consultations/edit_text.html", consultation=consultation, form=form, edit_locale=locale,
        existing=existing, default_text=default_text,
    ), 400 if form.errors else 200


@bp.post("/<int:consultation_id>/text/<locale>/delete")
@object_permission
def delete_text(consultation_id: int, locale: str):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    return _do(lambda: services.delete_translation(current_user, consultation, locale), consultation,
               _("The text in this language was removed."), "languages")


@bp.post("/<int:consultation_id>/schedule")
@object_permission
def schedule(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    return _do(lambda: services.schedule(current_user, consultation), consultation,
               _("The consultation is scheduled: it opens by itself at its opening time."))


@bp.post("/<int:consultation_id>/unschedule")
@object_permission
def unschedule(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    return _do(lambda: services.unschedule(current_user, consultation), consultation,
               _("The consultation is a draft again."))


@bp.post("/<int:consultation_id>/close")
@object_permission
def close(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    return _do(lambda: services.close_now(current_user, consultation), consultation,
               _("The consultation is closed."))


# ---- cover and documents -------------------------------------------------------------------------


@bp.route("/<int:consultation_id>/cover/edit", methods=["GET", "POST"])
@object_permission
def edit_cover(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    form = CoverForm()
    if request.method == "GET":
        form.alt.data = consultation.cover_alt
    if form.validate_on_submit():
        try:
            storage = form.image.data if getattr(form.image.data, "filename", "") else None
            checked = uploads.check_upload(storage, uploads.IMAGE_TYPES, field="image") if storage else None
            services.set_cover(current_user, consultation, checked, form.alt.data)
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Cover image saved."), "success")
            return redirect(_manage_url(consultation, "cover"))
    return render_template("consultations/cover.html", consultation=consultation, form=form), 400 if form.errors else 200


@bp.post("/<int:consultation_id>/cover/delete")
@object_permission
def delete_cover(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    return _do(lambda: services.remove_cover(current_user, consultation), consultation,
               _("Cover image removed."), "cover")


@bp.route("/<int:consultation_id>/documents/new", methods=["GET", "POST"])
@object_permission
def new_attachment(consultation_id: int):
    consultation = _load(consultation_id)
    purpose = AttachmentPurpose.REPORT if request.args.get("for") == "report" else AttachmentPurpose.DOCUMENT
    if purpose == AttachmentPurpose.REPORT:
        authorize(perms.can_edit_report(current_user, consultation))
    else:
        authorize(perms.can_edit(current_user, consultation))
    form = AttachmentForm()
    if request.method == "GET":
        form.language.data = consultation.default_locale
    if form.validate_on_submit():
        try:
            checked = uploads.check_upload(form.file.data, uploads.DOCUMENT_TYPES, field="file")
            services.add_attachment(
                current_user, consultation, checked,
                title=form.title.data, language=form.language.data, purpose=purpose,
            )
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Document added."), "success")
            return redirect(_manage_url(consultation, "report" if purpose == AttachmentPurpose.REPORT else "documents"))
    return render_template(
        "consultations/attachment.html", consultation=consultation, form=form, purpose=purpose,
        limit=uploads.human_size(uploads.max_bytes()),
    ), 400 if form.errors else 200


@bp.post("/<int:consultation_id>/documents/<int:attachment_id>/delete")
@object_permission
def delete_attachment(consultation_id: int, attachment_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    attachment = _child(Attachment, consultation, attachment_id)
    return _do(lambda: services.delete_attachment(current_user, consultation, attachment), consultation,
               _("Document removed."), "documents")


# ---- sections ---------------------------------------------------------------------------------------


@bp.route("/<int:consultation_id>/sections/new", methods=["GET", "POST"])
@object_permission
def new_section(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    locale = _edit_locale(consultation)
    form = SectionForm()
    if form.validate_on_submit():
        try:
            section = services.add_section(current_user, consultation, locale, title=form.title.data, body=form.body.data or "")
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Section added."), "success")
            return redirect(_manage_url(consultation, f"manage-{section.anchor}"))
    return render_template("consultations/section_form.html", consultation=consultation, form=form,
                           section=None, edit_locale=locale), 400 if form.errors else 200


@bp.route("/<int:consultation_id>/sections/<int:section_id>/edit", methods=["GET", "POST"])
@object_permission
def edit_section(consultation_id: int, section_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    section = _child(ConsultationSection, consultation, section_id)
    locale = _edit_locale(consultation)
    form = SectionForm()
    if request.method == "GET":
        entry = (section.translations or {}).get(locale) or {}
        form.title.data = entry.get("title", "")
        form.body.data = entry.get("body", "")
    if form.validate_on_submit():
        try:
            services.update_section(current_user, consultation, section, locale, title=form.title.data, body=form.body.data or "")
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Section saved."), "success")
            return redirect(_manage_url(consultation, f"manage-{section.anchor}"))
    return render_template("consultations/section_form.html", consultation=consultation, form=form,
                           section=section, edit_locale=locale), 400 if form.errors else 200


@bp.post("/<int:consultation_id>/sections/<int:section_id>/delete")
@object_permission
def delete_section(consultation_id: int, section_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    section = _child(ConsultationSection, consultation, section_id)
    return _do(lambda: services.delete_section(current_user, consultation, section), consultation,
               _("Section deleted."), "sections")


@bp.post("/<int:consultation_id>/sections/<int:section_id>/move")
@object_permission
def move_section(consultation_id: int, section_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit(current_user, consultation))
    section = _child(ConsultationSection, consultation, section_id)
    return _do(lambda: services.move_section(current_user, consultation, section, request.form.get("direction", "")),
               consultation, _("Section moved."), f"manage-{section.anchor}")


# ---- questions --------------------------------------------------------------------------------------


def _question_form_submit(form, consultation, question, locale):
    kwargs = dict(
        prompt=form.prompt.data, hint=form.hint.data or "", options=form.options.data or "",
        max_choices=form.max_choices.data, max_length=form.max_length.data,
    )
    if question is None:
        return services.add_question(current_user, consultation, locale, kind=form.kind.data, **kwargs)
    services.update_question(current_user, consultation, question, locale, **kwargs)
    return question


@bp.route("/<int:consultation_id>/questions/new", methods=["GET", "POST"])
@bp.route("/<int:consultation_id>/questions/<int:question_id>/edit", methods=["GET", "POST"])
@object_permission
def edit_question(consultation_id: int, question_id: int | None = None):
    consultation = _load(consultation_id)
    authorize(perms.can_edit_questions(current_user, consultation))
    question = _child(Question, consultation, question_id) if question_id else None
    locale = _edit_locale(consultation)
    form = QuestionForm()
    if question is not None:
        form.kind.data = question.kind.value  # the kind never changes
        if request.method == "GET":
            form.prompt.data = (question.prompt_translations or {}).get(locale, "")
            form.hint.data = (question.hint_translations or {}).get(locale, "")
            form.options.data = "\n".join(
                (o.label_translations or {}).get(locale, "") for o in question.options
            ) if question.kind.has_options else ""
            form.max_choices.data = question.max_choices
            form.max_length.data = question.max_length
    if form.validate_on_submit():
        try:
            saved = _question_form_submit(form, consultation, question, locale)
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Question saved."), "success")
            return redirect(_manage_url(consultation, f"manage-question-{saved.id}"))
    return render_template("consultations/question_form.html", consultation=consultation, form=form,
                           question=question, edit_locale=locale), 400 if form.errors else 200


@bp.post("/<int:consultation_id>/questions/<int:question_id>/delete")
@object_permission
def delete_question(consultation_id: int, question_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit_questions(current_user, consultation))
    question = _child(Question, consultation, question_id)
    return _do(lambda: services.delete_question(current_user, consultation, question), consultation,
               _("Question deleted."), "questions")


@bp.post("/<int:consultation_id>/questions/<int:question_id>/move")
@object_permission
def move_question(consultation_id: int, question_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit_questions(current_user, consultation))
    question = _child(Question, consultation, question_id)
    return _do(lambda: services.move_question(current_user, consultation, question, request.form.get("direction", "")),
               consultation, _("Question moved."), f"manage-question-{question.id}")


@bp.get("/<int:consultation_id>/questions/<int:question_id>/answers")
@object_permission
def free_text(consultation_id: int, question_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_read_responses(current_user, consultation))
    question = _child(Question, consultation, question_id)
    if question.kind != QuestionKind.FREE_TEXT:
        abort(404)
    page = paginate(services.free_text_answers(question), page_number(), per_page=50, total=question.answer_count)
    return render_template("consultations/free_text.html", consultation=consultation, question=question, page=page)


def _export_name(consultation: Consultation, ext: str) -> str:
    return f"consultation-{consultation.id}-results.{ext}"


@bp.get("/<int:consultation_id>/export.csv")
@object_permission
def export_csv(consultation_id: int):
    consultation = _load(consultation_id, full=True)
    authorize(perms.can_read_responses(current_user, consultation))
    services.record_export(current_user, consultation, "csv")
    db.session.commit()
    consultation = _load(consultation_id, full=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in services.export_rows(consultation, consultation.questions, current_locale_code()):
        writer.writerow([_csv_safe(v) for v in row])
    response = current_app.response_class("\ufeff" + buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name(consultation, "csv")}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _csv_safe(value):
    """Spreadsheets run cells starting with = + - @ as formulas: neutralise them."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@bp.get("/<int:consultation_id>/export.json")
@object_permission
def export_json(consultation_id: int):
    consultation = _load(consultation_id, full=True)
    authorize(perms.can_read_responses(current_user, consultation))
    data = services.open_data(consultation, consultation.questions)
    free = {q.id: q for q in consultation.questions if q.kind == QuestionKind.FREE_TEXT}
    texts: dict[int, list[str]] = {qid: [] for qid in free}
    if free:
        from civic.consultations.models import Answer

        for qid, text_value in db.session.execute(
            select(Answer.question_id, Answer.text).where(Answer.question_id.in_(list(free))).order_by(Answer.question_id, Answer.id)
        ):
            texts[qid].append(text_value or "")
    for q in data["questions"]:
        if q["id"] in texts:
            q["answers"] = texts[q["id"]]
    response = current_app.response_class(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{_export_name(consultation, "json")}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# ---- the report -------------------------------------------------------------------------------------


@bp.route("/<int:consultation_id>/report", methods=["GET", "POST"])
@object_permission
def edit_report(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_edit_report(current_user, consultation))
    locale = _edit_locale(consultation)
    form = ReportForm()
    if request.method == "GET":
        tr = consultation.translation(locale)
        form.report.data = tr.report if tr else ""
    if form.validate_on_submit():
        try:
            services.save_report(current_user, consultation, locale, report=form.report.data)
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Report saved."), "success")
            return redirect(_manage_url(consultation, "report"))
    return render_template("consultations/report_form.html", consultation=consultation, form=form,
                           edit_locale=locale), 400 if form.errors else 200


@bp.post("/<int:consultation_id>/report/publish")
@object_permission
def publish_report(consultation_id: int):
    consultation = _load(consultation_id)
    authorize(perms.can_publish_report(current_user, consultation))
    return _do(lambda: services.publish_report(current_user, consultation), consultation,
               _("The report is published and the consultation is concluded. Participants and followers are told."),
               "report")


# ---- topics and areas (administrators) -----------------------------------------------------------------

TAXONOMIES = {"topics": Topic, "areas": Area}


def _taxonomy_model(kind: str):
    model = TAXONOMIES.get(kind)
    if model is None:
        abort(404)
    return model


@bp.get("/taxonomy/<kind>")
@allow(perms.can_manage_taxonomy)
def taxonomy(kind: str):
    model = _taxonomy_model(kind)
    rows = services.all_topics() if model is Topic else services.all_areas()
    return render_template("consultations/taxonomy.html", kind=kind, rows=rows)


@bp.route("/taxonomy/<kind>/new", methods=["GET", "POST"])
@bp.route("/taxonomy/<kind>/<int:item_id>/edit", methods=["GET", "POST"])
@allow(perms.can_manage_taxonomy)
def edit_taxonomy(kind: str, item_id: int | None = None):
    model = _taxonomy_model(kind)
    obj = db.session.get(model, item_id) if item_id else None
    if item_id and obj is None:
        abort(404)
    form = NamedForm.with_languages()()
    if request.method == "GET" and obj is not None:
        form.slug.data = obj.slug
        for code, value in (obj.name_translations or {}).items():
            field = getattr(form, f"name_{code}", None)
            if field is not None:
                field.data = value
    if form.validate_on_submit():
        try:
            services.save_named(current_user, model, obj, slug=form.slug.data, names=form.names())
        except InvalidInput as exc:
            db.session.rollback()
            _attach_error(form, exc)
        except DomainError as exc:
            db.session.rollback()
            return _refused(exc)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".taxonomy", kind=kind))
    return render_template("consultations/taxonomy_form.html", kind=kind, obj=obj, form=form), 400 if form.errors else 200


@bp.post("/taxonomy/<kind>/<int:item_id>/delete")
@allow(perms.can_manage_taxonomy)
def delete_taxonomy(kind: str, item_id: int):
    model = _taxonomy_model(kind)
    obj = db.session.get(model, item_id)
    if obj is None:
        abort(404)
    services.delete_named(current_user, obj)
    db.session.commit()
    flash(_("Deleted."), "success")
    return redirect(url_for(".taxonomy", kind=kind))


def consultations_for_home(limit: int = 3):
    """Open consultations for the home page (Jinja global ``open_consultations``)."""
    items = services.open_consultations(limit)
    return items

