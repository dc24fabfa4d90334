"""Meeting pages: calendar, meeting page, organizing, registration, check-in, minutes,
scheduling polls and calendar (.ics) downloads and feeds."""

from __future__ import annotations

from collections import OrderedDict

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from civic.accounts.models import Department
from civic.core.errors import Conflict, InvalidInput, PermissionDenied
from civic.core.pagination import page_number, paginate
from civic.core.permissions import (
    allow,
    allow_anyone,
    authorize,
    is_admin,
    is_signed_in,
    object_permission,
)
from civic.core.templating import current_locale_code
from civic.core.time import is_valid_timezone, site_timezone, utcnow
from civic.extensions import db, limiter
from civic.meetings import ics, services
from civic.meetings import permissions as perms
from civic.meetings.forms import (
    CheckInForm,
    MeetingForm,
    MinutesForm,
    PollForm,
    RegistrationForm,
    TranslationForm,
    poll_answer_form,
)
from civic.meetings.models import (
    Meeting,
    MeetingType,
    PollAnswer,
    PollChoice,
    PollState,
    Registration,
    RegistrationMode,
    RegistrationState,
    SchedulingPoll,
)
from civic.meetings.timefmt import month_key, month_label, when_range, zone_label

bp = Blueprint("meetings", __name__, template_folder="templates", url_prefix="/meetings")

FEED_LIMIT = 500


@bp.before_request
def _load_viewer() -> None:
    """Load the signed-in person first: loading them may commit (session touch), which
    would expire the objects a view loaded with eager options."""
    getattr(current_user, "id", None)


def _post_limit() -> str:
    return current_app.config["RATE_LIMIT_POST"]


def _jitsi() -> bool:
    return bool((current_app.config.get("JITSI_DOMAIN") or "").strip())


def _locale() -> str:
    return current_locale_code()


def _viewer_zone() -> str:
    zone = getattr(current_user, "timezone", None) if is_signed_in(current_user) else None
    return zone if is_valid_timezone(zone) else site_timezone()


# ---- loading ------------------------------------------------------------------------------


def _meeting_or_404(meeting_id: int, *, agenda: bool = False, outcomes: bool = False) -> Meeting:
    from civic.consultations.models import Consultation

    options = [selectinload(Meeting.consultation).selectinload(Consultation.translations)]
    if agenda:
        options.append(selectinload(Meeting.agenda))
    if outcomes:
        options.append(selectinload(Meeting.outcomes))
    meeting = db.session.execute(
        select(Meeting).options(*options).where(Meeting.id == meeting_id)
    ).scalar_one_or_none()
    if meeting is None:
        abort(404)
    return meeting


def _registration_of(user, meeting: Meeting) -> Registration | None:
    if not is_signed_in(user):
        return None
    return db.session.execute(
        select(Registration).where(Registration.meeting_id == meeting.id, Registration.user_id == user.id)
    ).scalar_one_or_none()


def _consultation_visible(user, meeting) -> bool:
    if meeting.consultation is None:
        return False
    from civic.consultations.permissions import can_view

    return can_view(user, meeting.consultation)


def _poll_or_404(poll_id: int) -> SchedulingPoll:
    poll = db.session.get(SchedulingPoll, poll_id)
    if poll is None:
        abort(404)
    return poll


# ---- the calendar ---------------------------------------------------------------------------


def _filters():
    try:
        department_id = int(request.args.get("department") or 0) or None
        consultation_id = int(request.args.get("consultation") or 0) or None
    except ValueError:
        abort(404)
    kind = request.args.get("type") or None
    if kind is not None:
        try:
            kind = MeetingType(kind)
        except ValueError:
            abort(404)
    when = request.args.get("when", "upcoming")
    if when not in ("upcoming", "past"):
        abort(404)
    return department_id, consultation_id, kind, when


def calendar_query(department_id=None, consultation_id=None, kind=None, when="upcoming", now=None):
    now = now or utcnow()
    stmt = select(Meeting)
    if department_id:
        stmt = stmt.where(Meeting.department_id == department_id)
    if consultation_id:
        stmt = stmt.where(Meeting.consultation_id == consultation_id)
    if kind:
        stmt = stmt.where(Meeting.type == kind)
    if when == "past":
        return stmt.where(Meeting.ends_at <= now).order_by(Meeting.starts_at.desc(), Meeting.id.desc())
    return stmt.where(Meeting.ends_at > now).order_by(Meeting.starts_at, Meeting.id)


def group_by_month(meetings: list[Meeting]) -> list[tuple[str, str, list[Meeting]]]:
    """``[(anchor id, month heading, meetings)]`` in the viewer's zone."""
    groups: OrderedDict[tuple[int, int], tuple[str, list]] = OrderedDict()
    for m in meetings:
        key = month_key(m.starts_at)
        if key not in groups:
            groups[key] = (month_label(m.starts_at), [])
        groups[key][1].append(m)
    return [(f"month-{y}-{mo:02d}", label, items) for (y, mo), (label, items) in groups.items()]


@bp.get("/")
@allow_anyone
def calendar():
    from civic.consultations.models import Consultation

    department_id, consultation_id, kind, when = _filters()
    stmt = calendar_query(department_id, consultation_id, kind, when).options(
        selectinload(Meeting.consultation).selectinload(Consultation.translations)
    )
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    departments = list(db.session.execute(select(Department).order_by(Department.slug)).scalars())
    consultation = db.session.get(Consultation, consultation_id) if consultation_id else None
    from civic.consultations.permissions import can_view as can_view_consultation

    if consultation is not None and not can_view_consultation(current_user, consultation):
        consultation = None
    polls = list(
        db.session.execute(
            select(SchedulingPoll)
            .where(SchedulingPoll.state == PollState.OPEN)
            .order_by(SchedulingPoll.created_at.desc())
            .limit(5)
        ).scalars()
    )
    return render_template(
        "meetings/calendar.html",
        page=page,
        groups=group_by_month(page.items),
        departments=departments,
        department_id=department_id,
        consultation=consultation,
        kind=kind,
        when=when,
        polls=polls,
        types=list(MeetingType),
        can_create=perms.is_meeting_staff(current_user),
        can_view_consultation=can_view_consultation,
    )


# ---- a meeting's page -------------------------------------------------------------------------


@bp.get("/<int:meeting_id>")
@object_permission
def show(meeting_id: int):
    meeting = _meeting_or_404(meeting_id, agenda=True, outcomes=True)
    authorize(perms.can_view(current_user, meeting))
    registration = _registration_of(current_user, meeting)
    now = utcnow()
    waiting_position = None
    if registration is not None and registration.state == RegistrationState.WAITING:
        waiting_position = _waiting_position(registration)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        now=now,
        registration=registration,
        waiting_position=waiting_position,
        show_consultation=_consultation_visible(current_user, meeting),
        may_join=perms.may_join(current_user, meeting, registration),
        can_see_join_link=perms.can_see_join_link(current_user, meeting, registration, now),
        is_organizer=perms.is_organizer(current_user, meeting),
        can_edit=perms.can_edit(current_user, meeting, now),
        can_cancel=perms.can_cancel(current_user, meeting, now),
        can_register=perms.can_register(current_user, meeting, now),
        can_unregister=perms.can_unregister(current_user, registration, now),
        can_check_in=perms.can_check_in(current_user, meeting, now),
        can_publish_minutes=perms.can_publish_minutes(current_user, meeting, now),
        state=meeting.effective_state(now),
        minutes_text=_minutes_for(meeting, _locale()),
    )


def _minutes_for(meeting: Meeting, locale: str):
    """The translation holding minutes: the reader's language, the default one, any."""
    if meeting.minutes_published_at is None:
        return None
    for candidate in (meeting.translation(locale), meeting.translation(meeting.default_locale)):
        if candidate is not None and candidate.minutes:
            return candidate
    return next((t for t in meeting.translations if t.minutes), None)


def _waiting_position(registration: Registration) -> int:
    ahead = db.session.execute(
        select(func.count()).where(
            Registration.meeting_id == registration.meeting_id,
            Registration.state == RegistrationState.WAITING,
            (Registration.queued_at < registration.queued_at)
            | ((Registration.queued_at == registration.queued_at) & (Registration.id < registration.id)),
        )
    ).scalar_one()
    return ahead + 1


# ---- creating and editing --------------------------------------------------------------------


def _department_choices(user) -> list[tuple[int, str]]:
    stmt = select(Department).order_by(Department.slug)
    if not is_admin(user):
        stmt = stmt.where(Department.id.in_(sorted(user.department_ids)))
    locale = _locale()
    return [(d.id, d.name_for(locale)[0]) for d in db.session.execute(stmt).scalars()]


def _consultation_choices(department_ids: list[int]) -> list[tuple[int, str]]:
    from civic.consultations.models import Consultation

    rows = db.session.execute(
        select(Consultation)
        .where(Consultation.department_id.in_(department_ids))
        .order_by(Consultation.id.desc())
        .limit(200)
    ).scalars()
    locale = _locale()
    return [(0, _("None: a meeting of the department"))] + [
        (c.id, c.title_for(locale).text or f"#{c.id}") for c in rows
    ]


def _meeting_input(form: MeetingForm, meeting: Meeting | None = None) -> services.MeetingInput:
    return services.MeetingInput(
        department_id=meeting.department_id if meeting else form.department_id.data,
        consultation_id=form.consultation_id.data or None,
        locale=meeting.default_locale if meeting else form.locale.data,
        title=form.title.data,
        description=form.description.data or "",
        access_notes=form.access_notes.data or "",
        agenda=form.parsed_agenda,
        type=MeetingType(form.type.data),
        starts_local=form.starts_local.data,
        ends_local=form.ends_local.data,
        timezone=form.timezone.data,
        address=form.address.data or "",
        video=form.video.data or "none",
        join_url=form.join_url.data,
        registration=RegistrationMode(form.registration.data),
        capacity=form.capacity.data,
    )


def _attach_error(form, exc) -> None:
    name = exc.field if exc.field and exc.field in form else None
    if name:
        form[name].errors = [*form[name].errors, exc.message] if isinstance(form[name].errors, list) else [exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.route("/new", methods=["GET", "POST"])
@allow(perms.is_meeting_staff)
@limiter.limit(_post_limit, methods=["POST"])
def create():
    form = MeetingForm(jitsi=_jitsi())
    form.department_id.choices = _department_choices(current_user)
    if not form.department_id.choices:
        abort(403)
    form.consultation_id.choices = _consultation_choices([d for d, _n in form.department_id.choices])
    if request.method == "GET":
        form.locale.data = _locale()
        form.timezone.data = _viewer_zone()
        wanted = request.args.get("consultation", type=int)
        if wanted and wanted in {c for c, _n in form.consultation_id.choices}:
            form.consultation_id.data = wanted
            from civic.consultations.models import Consultation

            form.department_id.data = db.session.get(Consultation, wanted).department_id
    overlaps = []
    if form.validate_on_submit():
        try:
            meeting = services.create_meeting(
                _meeting_input(form), actor=current_user, confirm_overlap=form.confirm_overlap.data
            )
        except services.OverlapWarning as exc:
            overlaps = exc.meetings
        except InvalidInput as exc:
            _attach_error(form, exc)
        except PermissionDenied:
            abort(403)
        else:
            db.session.commit()
            flash(_("The meeting is scheduled."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=None, overlaps=overlaps, jitsi=_jitsi())


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def edit(meeting_id: int):
    meeting = _meeting_or_404(meeting_id, agenda=True)
    authorize(perms.can_edit(current_user, meeting))
    form = MeetingForm(jitsi=_jitsi())
    form.department_id.choices = [(meeting.department_id, meeting.department.name_for(_locale())[0])]
    form.consultation_id.choices = _consultation_choices([meeting.department_id])
    form.locale.data = meeting.default_locale
    form.department_id.data = meeting.department_id
    if request.method == "GET":
        text = meeting.translation(meeting.default_locale)
        form.consultation_id.data = meeting.consultation_id or 0
        form.title.data = text.title if text else ""
        form.description.data = text.description if text else ""
        form.access_notes.data = text.access_notes if text else ""
        form.agenda.data = "\n".join(
            f"{item.duration_minutes} {item.title_for(meeting.default_locale, meeting.default_locale).text}"
            for item in meeting.agenda
        )
        form.type.data = meeting.type.value
        form.timezone.data = meeting.timezone
        form.starts_local.data = services.utc_to_local(meeting.starts_at, meeting.timezone)
        form.ends_local.data = services.utc_to_local(meeting.ends_at, meeting.timezone)
        form.address.data = meeting.address
        domain = (current_app.config.get("JITSI_DOMAIN") or "").strip()
        if meeting.join_url and domain and meeting.join_url.startswith(f"https://{domain}/"):
            form.video.data = "jitsi"
        else:
            form.video.data = "link" if meeting.join_url else "none"
        form.join_url.data = meeting.join_url if form.video.data == "link" else ""
        form.registration.data = meeting.registration.value
        form.capacity.data = meeting.capacity
    overlaps = []
    if form.validate_on_submit():
        try:
            changes = services.update_meeting(
                meeting, _meeting_input(form, meeting), actor=current_user,
                confirm_overlap=form.confirm_overlap.data,
            )
        except services.OverlapWarning as exc:
            overlaps = exc.meetings
        except InvalidInput as exc:
            _attach_error(form, exc)
        except PermissionDenied:
            abort(403)
        else:
            db.session.commit()
            if changes:
                flash(_("The meeting is updated; everyone registered or waiting has been told."), "success")
            else:
                flash(_("The meeting is updated."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/form.html", form=form, meeting=meeting, overlaps=overlaps, jitsi=_jitsi())


@bp.route("/<int:meeting_id>/translate/<locale>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def translate(meeting_id: int, locale: str):
    meeting = _meeting_or_404(meeting_id, agenda=True)
    authorize(perms.can_edit(current_user, meeting))
    if locale not in current_app.config["LANGUAGES"] or locale == meeting.default_locale:
        abort(404)
    form = TranslationForm()
    text = meeting.translation(locale)
    original = meeting.translation(meeting.default_locale)
    if request.method == "GET" and text is not None:
        form.title.data = text.title
        form.description.data = text.description
        form.access_notes.data = text.access_notes
    if form.validate_on_submit():
        agenda_titles = {
            item.id: request.form.get(f"agenda-{item.id}", "")[:200] for item in meeting.agenda
        }
        try:
            services.save_translation(
                meeting, locale, title=form.title.data, description=form.description.data,
                access_notes=form.access_notes.data, agenda_titles=agenda_titles, actor=current_user,
            )
        except InvalidInput as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("The translation is saved."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template(
        "meetings/translate.html", meeting=meeting, form=form, locale=locale, original=original,
    )


@bp.post("/<int:meeting_id>/cancel")
@object_permission
@limiter.limit(_post_limit)
def cancel(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    authorize(perms.can_cancel(current_user, meeting))
    services.cancel_meeting(meeting, actor=current_user)
    db.session.commit()
    flash(_("The meeting is cancelled; everyone registered or waiting has been told."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


# ---- registration ------------------------------------------------------------------------------


def _needs(form: RegistrationForm) -> services.AccessNeeds:
    return services.AccessNeeds(
        sign_language=form.sign_language.data,
        captions=form.captions.data,
        interpretation_language=form.interpretation_language.data,
        step_free=form.step_free.data,
        hearing_loop=form.hearing_loop.data,
        childcare=form.childcare.data,
        other=form.other.data,
    )


@bp.route("/<int:meeting_id>/register", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def register(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    authorize(perms.can_register(current_user, meeting))
    registration = _registration_of(current_user, meeting)
    active = registration is not None and registration.is_active
    form = RegistrationForm(obj=None)
    if request.method == "GET" and active:
        form.sign_language.data = registration.sign_language
        form.captions.data = registration.captions
        form.interpretation_language.data = registration.interpretation_language
        form.step_free.data = registration.step_free
        form.hearing_loop.data = registration.hearing_loop
        form.childcare.data = registration.childcare
        form.other.data = registration.other_needs
    if form.validate_on_submit():
        try:
            registration = services.register(meeting.id, current_user, _needs(form), actor=current_user)
        except PermissionDenied:
            abort(403)
        db.session.commit()
        if active:
            flash(_("Your access needs are saved."), "success")
        elif registration.state == RegistrationState.REGISTERED:
            flash(_("You have a place. Your registration code is %(code)s.", code=registration.code), "success")
        else:
            flash(
                _("The meeting is full: you are on the waiting list (number %(position)s). We will tell you if a place becomes free.",
                  position=_waiting_position(registration)),
                "info",
            )
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    return render_template("meetings/register.html", meeting=meeting, form=form, registration=registration if active else None)


@bp.post("/<int:meeting_id>/unregister")
@object_permission
@limiter.limit(_post_limit)
def unregister(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    registration = _registration_of(current_user, meeting)
    authorize(perms.can_unregister(current_user, registration))
    try:
        services.unregister(registration, actor=current_user)
    except Conflict as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    db.session.commit()
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("meetings.show", meeting_id=meeting.id))


# ---- organizers: attendees, check-in, minutes --------------------------------------------------


@bp.get("/<int:meeting_id>/attendees")
@object_permission
def attendees(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    authorize(perms.can_see_attendees(current_user, meeting))
    state = request.args.get("list", "registered")
    if state not in ("registered", "waiting"):
        abort(404)
    wanted = RegistrationState.REGISTERED if state == "registered" else RegistrationState.WAITING
    stmt = (
        select(Registration)
        .options(selectinload(Registration.user))
        .where(Registration.meeting_id == meeting.id, Registration.state == wanted)
        .order_by(Registration.queued_at, Registration.id)
    )
    total = meeting.registered_count if wanted == RegistrationState.REGISTERED else meeting.waiting_count
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"], total=total)
    return render_template(
        "meetings/attendees.html",
        meeting=meeting,
        page=page,
        listing=state,
        needs=services.access_needs_totals(meeting),
    )


@bp.route("/<int:meeting_id>/check-in", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def check_in(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    authorize(perms.can_check_in(current_user, meeting))
    form = CheckInForm()
    if request.method == "POST" and request.form.get("action") == "attendance":
        try:
            present = [int(v) for v in request.form.getlist("present")]
            shown = [int(v) for v in request.form.getlist("shown")]
        except ValueError:
            abort(400)
        services.set_attendance(meeting, present, shown, actor=current_user)
        db.session.commit()
        flash(_("Attendance saved: %(count)s people checked in.", count=meeting.checked_in_count), "success")
        return redirect(url_for("meetings.check_in", meeting_id=meeting.id, page=request.args.get("page")))
    if request.method == "POST" and form.validate_on_submit():
        try:
            registration = services.check_in_code(meeting, form.code.data, actor=current_user)
        except InvalidInput as exc:
            _attach_error(form, exc)
        else:
            name = registration.user.display_name
            db.session.commit()
            flash(_("%(name)s is checked in.", name=name), "success")
            return redirect(url_for("meetings.check_in", meeting_id=meeting.id))
    stmt = (
        select(Registration)
        .options(selectinload(Registration.user))
        .where(Registration.meeting_id == meeting.id, Registration.state == RegistrationState.REGISTERED)
        .order_by(Registration.queued_at, Registration.id)
    )
    page = paginate(stmt, page_number(), 50, total=meeting.registered_count)
    return render_template("meetings/check_in.html", meeting=meeting, form=form, page=page)


@bp.route("/<int:meeting_id>/minutes", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def minutes(meeting_id: int):
    meeting = _meeting_or_404(meeting_id, outcomes=True)
    authorize(perms.can_publish_minutes(current_user, meeting))
    form = MinutesForm()
    if request.method == "GET":
        locale = request.args.get("locale") or meeting.default_locale
        if locale not in current_app.config["LANGUAGES"]:
            locale = meeting.default_locale
        text = meeting.translation(locale)
        form.locale.data = locale
        form.minutes.data = text.minutes if text else ""
        form.attendee_count.data = meeting.attendee_count if meeting.attendee_count is not None else (meeting.checked_in_count or None)
        form.recording_url.data = meeting.recording_url or ""
        form.outcomes.data = "\n".join(f"{o.title} {o.url}" for o in meeting.outcomes)
    if form.validate_on_submit():
        try:
            services.publish_minutes(
                meeting, locale=form.locale.data, minutes=form.minutes.data,
                attendee_count=form.attendee_count.data, recording_url=form.recording_url.data,
                outcomes=form.parsed_outcomes, actor=current_user,
            )
        except InvalidInput as exc:
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("The minutes are published."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id, _anchor="minutes"))
    return render_template("meetings/minutes.html", meeting=meeting, form=form)


# ---- your meetings and your private feed ---------------------------------------------------------


@bp.get("/mine")
@allow(is_signed_in)
def mine():
    from civic.consultations.models import Consultation  # noqa: F401  (mapper configured)

    stmt = (
        select(Registration)
        .options(selectinload(Registration.meeting))
        .join(Meeting, Meeting.id == Registration.meeting_id)
        .where(
            Registration.user_id == current_user.id,
            Registration.state.in_([RegistrationState.REGISTERED, RegistrationState.WAITING]),
        )
        .order_by(Meeting.starts_at.desc(), Registration.id)
    )
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    feed = services.feed_for(current_user)
    return render_template(
        "meetings/mine.html",
        page=page,
        feed_url=url_for("meetings.private_feed", token=services.feed_token(feed), _external=True) if feed else None,
        feed=feed,
        now=utcnow(),
    )


@bp.post("/mine/feed")
@allow(is_signed_in)
@limiter.limit(_post_limit)
def regenerate_feed():
    had = services.feed_for(current_user) is not None
    services.regenerate_feed(current_user, actor=current_user)
    db.session.commit()
    flash(
        _("You have a new private calendar address; the old one no longer works.") if had
        else _("Your private calendar address is ready."),
        "success",
    )
    return redirect(url_for("meetings.mine", _anchor="feed"))


@bp.post("/mine/feed/revoke")
@allow(is_signed_in)
@limiter.limit(_post_limit)
def revoke_feed():
    services.revoke_feed(current_user, actor=current_user)
    db.session.commit()
    flash(_("Your private calendar address no longer works."), "success")
    return redirect(url_for("meetings.mine", _anchor="feed"))


# ---- calendar files and feeds ------------------------------------------------------------------


def _ics_response(data: bytes, filename: str, *, private: bool = False, download: bool = True) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@bp.get("/<int:meeting_id>.ics")
@object_permission
def meeting_ics(meeting_id: int):
    meeting = _meeting_or_404(meeting_id)
    authorize(perms.can_view(current_user, meeting))
    registration = _registration_of(current_user, meeting)
    links = {}
    if perms.may_join(current_user, meeting, registration):
        links[meeting.id] = meeting.join_url
    data = ics.build_calendar([meeting], name=meeting.title_for(_locale()).text, join_links=links)
    return _ics_response(data, f"meeting-{meeting.id}.ics", private=bool(links) or is_signed_in(current_user))


def _feed_meetings(stmt) -> list[Meeting]:
    cutoff = utcnow().replace(microsecond=0)
    from datetime import timedelta

    stmt = stmt.where(Meeting.ends_at >= cutoff - timedelta(days=90)).order_by(Meeting.starts_at, Meeting.id)
    return list(db.session.execute(stmt.limit(FEED_LIMIT)).scalars())


@bp.get("/feeds/all.ics")
@allow_anyone
def feed_all():
    meetings = _feed_meetings(select(Meeting))
    name = _("%(site)s: meetings", site=current_app.config["SITE_NAME"])
    return _ics_response(ics.build_calendar(meetings, name=name), "meetings.ics", download=False)


@bp.get("/feeds/departments/<slug>.ics")
@allow_anyone
def feed_department(slug: str):
    department = db.session.execute(select(Department).where(Department.slug == slug)).scalar_one_or_none()
    if department is None:
        abort(404)
    meetings = _feed_meetings(select(Meeting).where(Meeting.department_id == department.id))
    name = _("%(site)s: meetings of %(department)s", site=current_app.config["SITE_NAME"],
             department=department.name_for(_locale())[0])
    return _ics_response(ics.build_calendar(meetings, name=name), f"meetings-{slug}.ics", download=False)


@bp.get("/feeds/consultations/<int:consultation_id>.ics")
@object_permission
def feed_consultation(consultation_id: int):
    from civic.consultations.models import Consultation
    from civic.consultations.permissions import can_view

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    authorize(can_view(current_user, consultation))
    meetings = _feed_meetings(select(Meeting).where(Meeting.consultation_id == consultation.id))
    name = _("%(site)s: meetings about %(consultation)s", site=current_app.config["SITE_NAME"],
             consultation=consultation.title_for(_locale()).text)
    return _ics_response(
        ics.build_calendar(meetings, name=name), f"meetings-consultation-{consultation.id}.ics", download=False
    )


@bp.get("/feeds/private/<token>.ics")
@allow_anyone
def private_feed(token: str):
    """Secret address: the meetings its owner registered for, with their join links."""
    owner = services.feed_owner(token)
    if owner is None:
        abort(404)
    rows = db.session.execute(
        select(Meeting, Registration)
        .join(Registration, Registration.meeting_id == Meeting.id)
        .where(
            Registration.user_id == owner.id,
            Registration.state.in_([RegistrationState.REGISTERED, RegistrationState.WAITING]),
        )
        .order_by(Meeting.starts_at.desc())
        .limit(FEED_LIMIT)
    ).all()
    meetings = [m for m, _r in rows]
    links = {m.id: m.join_url for m, r in rows if perms.may_join(owner, m, r)}
    from flask_babel import force_locale

    locale = owner.locale if owner.locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        name = _("%(site)s: your meetings", site=current_app.config["SITE_NAME"])
        data = ics.build_calendar(meetings, name=name, join_links=links, locale=locale)
    response = _ics_response(data, "my-meetings.ics", private=True, download=False)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# ---- scheduling polls ------------------------------------------------------------------------------


def _slot_label(poll: SchedulingPoll):
    viewer = _viewer_zone()

    def label(slot) -> str:
        text = when_range(slot.starts_at, slot.ends_at)
        if poll.timezone != viewer:
            return _(
                "%(time)s (your time); %(organizer_time)s (%(zone)s)",
                time=text,
                organizer_time=when_range(slot.starts_at, slot.ends_at, poll.timezone),
                zone=zone_label(poll.timezone),
            )
        return text

    return label


@bp.get("/polls")
@allow(perms.is_meeting_staff)
def polls():
    stmt = select(SchedulingPoll).order_by(SchedulingPoll.created_at.desc(), SchedulingPoll.id.desc())
    if not is_admin(current_user):
        stmt = stmt.where(SchedulingPoll.department_id.in_(sorted(current_user.department_ids)))
    page = paginate(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template("meetings/polls.html", page=page)


@bp.route("/polls/new", methods=["GET", "POST"])
@allow(perms.is_meeting_staff)
@limiter.limit(_post_limit, methods=["POST"])
def create_poll():
    form = PollForm()
    form.department_id.choices = _department_choices(current_user)
    if not form.department_id.choices:
        abort(403)
    form.consultation_id.choices = _consultation_choices([d for d, _n in form.department_id.choices])
    if request.method == "GET":
        form.locale.data = _locale()
        form.timezone.data = _viewer_zone()
        wanted = request.args.get("consultation", type=int)
        if wanted and wanted in {c for c, _n in form.consultation_id.choices}:
            form.consultation_id.data = wanted
    if form.validate_on_submit():
        try:
            slots = form.slot_values()
        except ValueError:
            form.form_errors.append(_("Each proposed date needs both a start and an end."))
        else:
            try:
                poll = services.create_poll(
                    services.PollInput(
                        department_id=form.department_id.data,
                        consultation_id=form.consultation_id.data or None,
                        locale=form.locale.data,
                        title=form.title.data,
                        description=form.description.data or "",
                        type=MeetingType(form.type.data),
                        timezone=form.timezone.data,
                        slots=slots,
                    ),
                    actor=current_user,
                )
            except InvalidInput as exc:
                if exc.field == "slots":
                    form.form_errors.append(exc.message)
                else:
                    _attach_error(form, exc)
            except PermissionDenied:
                abort(403)
            else:
                db.session.commit()
                flash(_("The poll is open: share its address with the people you invite."), "success")
                return redirect(url_for("meetings.poll", poll_id=poll.id))
    return render_template("meetings/poll_form.html", form=form)


@bp.route("/polls/<int:poll_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    authorize(perms.can_view_poll(current_user, poll))
    existing = {
        a.slot_id: a.choice
        for a in db.session.execute(
            select(PollAnswer).where(PollAnswer.poll_id == poll.id, PollAnswer.user_id == current_user.id)
        ).scalars()
    }
    label = _slot_label(poll)
    form = poll_answer_form(poll, existing, label)
    can_answer = perms.can_answer_poll(current_user, poll)
    if request.method == "POST":
        authorize(can_answer)
        if form.validate_on_submit():
            answers = {}
            for slot in poll.slots:
                value = form[f"slot_{slot.id}"].data
                if value:
                    answers[slot.id] = PollChoice(value)
            try:
                services.answer_poll(poll, answers, actor=current_user)
            except InvalidInput as exc:
                form.form_errors.append(exc.message)
            else:
                db.session.commit()
                flash(_("Your answers are saved. You can change them while the poll is open."), "success")
                return redirect(url_for("meetings.poll", poll_id=poll.id))
    return render_template(
        "meetings/poll.html",
        poll=poll,
        form=form,
        can_answer=can_answer,
        answered=bool(existing),
        slot_label=label,
        can_manage=perms.can_manage_poll(current_user, poll),
    )


@bp.get("/polls/<int:poll_id>/answers")
@object_permission
def poll_answers(poll_id: int):
    poll = _poll_or_404(poll_id)
    authorize(perms.can_see_poll_answers(current_user, poll))
    from civic.accounts.models import User

    people_stmt = (
        select(User)
        .where(User.id.in_(select(PollAnswer.user_id).where(PollAnswer.poll_id == poll.id)))
        .order_by(User.display_name, User.id)
    )
    page = paginate(people_stmt, page_number(), 50, total=poll.respondent_count)
    ids = [u.id for u in page.items]
    answers: dict[tuple[int, int], PollChoice] = {}
    if ids:
        for a in db.session.execute(
            select(PollAnswer).where(PollAnswer.poll_id == poll.id, PollAnswer.user_id.in_(ids))
        ).scalars():
            answers[(a.user_id, a.slot_id)] = a.choice
    return render_template(
        "meetings/poll_answers.html",
        poll=poll,
        page=page,
        answers=answers,
        slot_label=_slot_label(poll),
        can_pick=perms.can_pick_slot(current_user, poll),
        choices=list(PollChoice),
    )


@bp.post("/polls/<int:poll_id>/pick")
@object_permission
@limiter.limit(_post_limit)
def pick_slot(poll_id: int):
    poll = _poll_or_404(poll_id)
    authorize(perms.can_pick_slot(current_user, poll))
    slot_id = request.form.get("slot_id", type=int)
    try:
        meeting = services.pick_slot(poll, slot_id or 0, actor=current_user)
    except InvalidInput as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("meetings.poll_answers", poll_id=poll.id))
    db.session.commit()
    flash(_("The date is fixed and everyone who answered has been told. Add the place, link and agenda now."), "success")
    return redirect(url_for("meetings.edit", meeting_id=meeting.id))


@bp.post("/polls/<int:poll_id>/close")
@object_permission
@limiter.limit(_post_limit)
def close_poll(poll_id: int):
    poll = _poll_or_404(poll_id)
    authorize(perms.can_pick_slot(current_user, poll))
    services.close_poll(poll, actor=current_user)
    db.session.commit()
    flash(_("The poll is closed without a date."), "success")
    return redirect(url_for("meetings.poll", poll_id=poll.id))

