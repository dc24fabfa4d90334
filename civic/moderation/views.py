"""HTTP for moderation: load → 404, check permission → 403, validate, one service, commit."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from civic.core.errors import Conflict, DomainError, NotFound, PermissionDenied
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
from civic.core.time import site_timezone, utcnow
from civic.extensions import db, limiter
from civic.moderation import permissions, services
from civic.moderation.forms import (
    ActionForm,
    AppealDecisionForm,
    AppealForm,
    ConfirmForm,
    LogFilterForm,
    PremoderationForm,
    QueueFilterForm,
    ReportForm,
    SettingsForm,
    WordForm,
)
from civic.moderation.models import (
    CommunityRule,
    ModerationAction,
    ModerationWord,
    ReportReason,
)

bp = Blueprint("moderation", __name__, template_folder="templates", url_prefix="/moderation")


def _post_limit() -> str:
    return current_app.config["RATE_LIMIT_POST"]


def _report_limit() -> str:
    return current_app.config["RATE_LIMIT_REPORT"]


def _me():
    return current_user._get_current_object()


def _attach_error(form, exc: DomainError) -> None:
    field = getattr(form, exc.field, None) if exc.field else None
    message = str(exc.message) or _("This could not be done.")
    if field is not None:
        field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
    else:
        form.form_errors.append(message)


def _refuse(exc: DomainError) -> None:
    """Turn a service's refusal that is not a form error into 403/404."""
    if isinstance(exc, PermissionDenied):
        abort(403)
    if isinstance(exc, NotFound):
        abort(404)


# ---- items -------------------------------------------------------------------------------------


def item_url(kind: str, item) -> str:
    if kind == "comment":
        return url_for("comments.permalink", comment_id=item.id)
    if kind == "proposal":
        return url_for("proposals.view", proposal_id=item.id)
    if kind == "meeting":
        return url_for("meetings.show", meeting_id=item.id)
    return url_for("accounts.profile", user_id=item.id)


def _load_item(kind: str, item_id: int):
    """The item, or 404 when it does not exist or the viewer may not see it."""
    try:
        if kind == "proposal":
            from civic.proposals import permissions as proposal_permissions
            from civic.proposals.services import get_proposal

            item = get_proposal(item_id)
            if not proposal_permissions.can_view(current_user, item):
                abort(404)
            return item
        item = services.get_item(kind, item_id)
    except NotFound:
        abort(404)
    if kind == "comment":
        from civic.comments.permissions import can_read
        from civic.comments.targets import target_of

        if not can_read(current_user, target_of(item)):
            abort(404)
    elif kind == "user":
        from civic.accounts.permissions import can_view_profile

        if not can_view_profile(current_user, item):
            abort(404)
    return item


def _report(kind: str, item_id: int):
    item = _load_item(kind, item_id)
    authorize(is_signed_in(current_user))
    context = {"kind": kind, "item": item, "back": item_url(kind, item)}
    if services.already_reported(current_user, kind, item.id):
        return render_template("moderation/reported.html", **context)
    authorize(permissions.can_report(current_user, kind, item))
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report(_me(), kind, item, form.reason.data, form.details.data)
        except Conflict:
            db.session.rollback()
            return render_template("moderation/reported.html", **context)
        except DomainError as exc:
            db.session.rollback()
            _refuse(exc)
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Thank you. The moderators will look at your report."), "success")
            return redirect(context["back"])
    status = 400 if request.method == "POST" else 200
    return render_template("moderation/report.html", form=form, **context), status


@bp.route("/report/comments/<int:comment_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_report_limit, methods=["POST"])
def report_comment(comment_id: int):
    return _report("comment", comment_id)


@bp.route("/report/proposals/<int:proposal_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_report_limit, methods=["POST"])
def report_proposal(proposal_id: int):
    return _report("proposal", proposal_id)


@bp.route("/report/meetings/<int:meeting_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_report_limit, methods=["POST"])
def report_meeting(meeting_id: int):
    return _report("meeting", meeting_id)


@bp.route("/report/people/<int:user_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_report_limit, methods=["POST"])
def report_user(user_id: int):
    return _report("user", user_id)


# ---- the queue -----------------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    return value if value > 0 else None


def _queue_filters() -> services.QueueFilters:
    args = request.args
    reason = None
    if args.get("reason"):
        try:
            reason = ReportReason(args["reason"])
        except ValueError:
            reason = None
    return services.QueueFilters(
        state=args.get("state") if args.get("state") in services.QUEUE_STATES else "pending",
        reason=reason,
        kind=args.get("kind") if args.get("kind") in ("comment", "proposal", "meeting", "user") else None,
        consultation_id=_int_arg("consultation"),
        sort=args.get("sort") if args.get("sort") in services.QUEUE_SORTS else "reports",
    )


def _render_queue(action_form: ActionForm, selected: set[int], status: int = 200):
    filters = _queue_filters()
    page = paginate(
        services.queue_query(current_user, filters), page_number(), current_app.config["PAGE_SIZE"]
    )
    entries = services.load_entries(page.items)
    filter_form = QueueFilterForm(
        request.args,
        consultations=services.queue_consultations(current_user),
        locale=current_locale_code(),
    )
    return (
        render_template(
            "moderation/queue.html",
            page=page,
            entries=entries,
            filters=filters,
            filter_form=filter_form,
            action_form=action_form,
            selected=selected,
            item_url=item_url,
            locale=current_locale_code(),
        ),
        status,
    )


@bp.route("/", methods=["GET", "POST"])
@allow(permissions.can_see_queue)
@limiter.limit(_post_limit, methods=["POST"])
def queue():
    form = ActionForm(allow_accounts=is_admin(current_user))
    selected = set(request.form.getlist("case_ids", type=int)) if request.method == "POST" else set()
    if request.method == "POST":
        if form.validate():
            try:
                result = services.act_bulk(
                    _me(),
                    selected,
                    form.action.data,
                    reason=form.reason.data,
                    rule=form.rule.data,
                    message=form.message.data,
                    days=form.days.data,
                )
            except DomainError as exc:
                db.session.rollback()
                _refuse(exc)
                if exc.field == "case_ids":
                    form.form_errors.append(exc.message)
                else:
                    _attach_error(form, exc)
            else:
                db.session.commit()
                if result.done:
                    flash(
                        _("Done for %(count)s entries.", count=len(result.done))
                        if len(result.done) != 1
                        else _("Done for 1 entry."),
                        "success",
                    )
                for case_id, why in result.skipped:
                    flash(_("Entry %(number)s was left alone: %(why)s", number=case_id, why=why), "error")
                return redirect(request.full_path.rstrip("?"))
        return _render_queue(form, selected, 400)
    return _render_queue(form, selected)


def _case(case_id: int):
    try:
        case = services.get_case(case_id)
    except NotFound:
        abort(404)
    return case


def _render_case(case, action_form=None, appeal_form=None, status: int = 200):
    entry = services.case_detail(case)
    return (
        render_template(
            "moderation/case.html",
            case=case,
            entry=entry,
            history=services.case_log(case),
            action_form=action_form or ActionForm(allow_accounts=permissions.can_act_on_account(current_user, case)),
            appeal_form=appeal_form or AppealDecisionForm(),
            can_decide_appeal=permissions.can_decide_appeal(current_user, case),
            item_url=item_url,
            locale=current_locale_code(),
        ),
        status,
    )


@bp.route("/cases/<int:moderation_case_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def case(moderation_case_id: int):
    found = _case(moderation_case_id)
    authorize(permissions.can_view_case(current_user, found))
    form = ActionForm(allow_accounts=permissions.can_act_on_account(current_user, found))
    if request.method == "POST":
        if form.validate():
            try:
                services.act(
                    _me(),
                    found,
                    form.action.data,
                    reason=form.reason.data,
                    rule=form.rule.data,
                    message=form.message.data,
                    days=form.days.data,
                )
            except DomainError as exc:
                db.session.rollback()
                if isinstance(exc, NotFound):
                    abort(404)
                _attach_error(form, exc)
                found = _case(moderation_case_id)
            else:
                db.session.commit()
                flash(_("Done."), "success")
                return redirect(url_for(".case", moderation_case_id=found.id))
        return _render_case(found, action_form=form, status=400)
    return _render_case(found, action_form=form)


@bp.post("/cases/<int:moderation_case_id>/appeal-decision")
@object_permission
@limiter.limit(_post_limit)
def decide_appeal(moderation_case_id: int):
    found = _case(moderation_case_id)
    authorize(permissions.can_view_case(current_user, found))
    form = AppealDecisionForm()
    if form.validate():
        try:
            services.decide_appeal(_me(), found, form.outcome.data == "uphold", form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            _refuse(exc)
            _attach_error(form, exc)
            found = _case(moderation_case_id)
        else:
            db.session.commit()
            flash(_("The appeal is decided; the author was told."), "success")
            return redirect(url_for(".case", moderation_case_id=found.id))
    return _render_case(found, appeal_form=form, status=400)


# ---- decisions, for their authors ---------------------------------------------------------------


@bp.get("/decisions")
@allow(is_signed_in)
def my_decisions():
    page = paginate(services.my_decisions_query(current_user), page_number(), current_app.config["PAGE_SIZE"])
    latest = services.latest_author_events([c.id for c in page.items])
    return render_template("moderation/my_decisions.html", page=page, latest=latest)


def _rule(value):
    try:
        return CommunityRule(value) if value else None
    except ValueError:
        return None


def _render_decision(case, form, events, status: int = 200):
    item = None
    try:
        item = services.item_of(case)
    except NotFound:
        item = None
    return (
        render_template(
            "moderation/decision.html",
            case=case,
            item=item,
            form=form,
            events=[(e, _rule((e.details or {}).get("rule"))) for e in events],
            can_appeal=permissions.can_appeal(current_user, case),
            item_url=item_url,
        ),
        status,
    )


@bp.route("/decisions/<int:moderation_case_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def decision(moderation_case_id: int):
    found = _case(moderation_case_id)
    authorize(permissions.can_view_decision(current_user, found))
    events = services.author_events(found)
    if not events:
        abort(404)  # nothing was decided about the author's content in this entry
    form = AppealForm()
    if request.method == "POST":
        if form.validate():
            try:
                services.appeal(_me(), found, form.text.data)
            except DomainError as exc:
                db.session.rollback()
                _refuse(exc)
                _attach_error(form, exc)
                found = _case(moderation_case_id)
            else:
                db.session.commit()
                flash(_("Your appeal was sent. A different moderator will decide; you will be told."), "success")
                return redirect(url_for(".decision", moderation_case_id=found.id))
        return _render_decision(found, form, services.author_events(found), 400)
    return _render_decision(found, form, events)


# ---- public pages ----------------------------------------------------------------------------------


@bp.get("/rules")
@allow_anyone
def rules():
    return render_template("moderation/rules.html", rules=list(CommunityRule), reasons=list(ReportReason))


def _month_arg(now: datetime, zone: str) -> tuple[int, int]:
    local = now.astimezone(ZoneInfo(zone))
    raw = request.args.get("month", "")
    try:
        year, month = (int(x) for x in raw.split("-", 1))
        if 2000 <= year <= local.year and 1 <= month <= 12 and (year, month) <= (local.year, local.month):
            return year, month
    except ValueError:
        pass
    return local.year, local.month


def _previous_months(year: int, month: int, count: int) -> list[tuple[int, int]]:
    out = []
    for _i in range(count):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out


@bp.get("/transparency")
@allow_anyone
def transparency():
    zone = site_timezone()
    now = utcnow()
    year, month = _month_arg(now, zone)
    report = services.transparency(year, month, zone)
    local = now.astimezone(ZoneInfo(zone))
    months = _previous_months(local.year, local.month, 12)
    return render_template(
        "moderation/transparency.html",
        report=report,
        months=months,
        month_start=datetime(year, month, 1, 12, tzinfo=UTC),
        month_date=lambda y, m: datetime(y, m, 1, 12, tzinfo=UTC),
    )


# ---- pre-moderation -----------------------------------------------------------------------------


@bp.get("/consultations")
@allow(permissions.can_see_queue)
def premoderation_list():
    page = paginate(
        services.premoderation_consultations_query(current_user), page_number(), current_app.config["PAGE_SIZE"]
    )
    modes = services.premoderation_map([c.id for c in page.items])
    return render_template("moderation/premoderation_list.html", page=page, modes=modes, locale=current_locale_code())


@bp.route("/consultations/<int:consultation_id>", methods=["GET", "POST"])
@object_permission
@limiter.limit(_post_limit, methods=["POST"])
def premoderation(consultation_id: int):
    from civic.consultations.models import Consultation

    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None:
        abort(404)
    authorize(permissions.can_set_premoderation(current_user, consultation))
    form = PremoderationForm(premoderation=services.premoderation_of(consultation.id).value)
    if form.validate_on_submit():
        try:
            services.set_premoderation(_me(), consultation, form.premoderation.data)
        except DomainError as exc:
            db.session.rollback()
            _refuse(exc)
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Pre-moderation saved."), "success")
            return redirect(url_for(".premoderation", consultation_id=consultation.id))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "moderation/premoderation.html", consultation=consultation, form=form, locale=current_locale_code()
    ), status


# ---- administration: the word list, the settings, the log -------------------------------------------


def _render_words(form, status: int = 200):
    page = paginate(services.words_query(), page_number(), 50)
    return render_template("moderation/words.html", form=form, page=page, confirm=ConfirmForm()), status


@bp.route("/admin/words", methods=["GET", "POST"])
@allow(permissions.can_manage_words)
@limiter.limit(_post_limit, methods=["POST"])
def words():
    form = WordForm()
    if form.validate_on_submit():
        try:
            word = services.add_word(_me(), form.phrase.data)
        except DomainError as exc:
            db.session.rollback()
            _refuse(exc)
            _attach_error(form, exc)
        else:
            phrase = word.phrase
            db.session.commit()
            flash(_("“%(phrase)s” is on the list.", phrase=phrase), "success")
            return redirect(url_for(".words"))
    return _render_words(form, 400 if request.method == "POST" else 200)


@bp.post("/admin/words/<int:moderation_word_id>/remove")
@allow(permissions.can_manage_words)
@limiter.limit(_post_limit)
def remove_word(moderation_word_id: int):
    word = db.session.get(ModerationWord, moderation_word_id)
    if word is None:
        abort(404)
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    phrase = word.phrase
    services.remove_word(_me(), word)
    db.session.commit()
    flash(_("“%(phrase)s” is no longer watched.", phrase=phrase), "success")
    return redirect(url_for(".words"))


@bp.route("/admin/settings", methods=["GET", "POST"])
@allow(permissions.can_manage_settings)
@limiter.limit(_post_limit, methods=["POST"])
def settings():
    form = SettingsForm(report_threshold=services.report_threshold())
    if form.validate_on_submit():
        try:
            services.update_settings(_me(), report_threshold_value=form.report_threshold.data)
        except DomainError as exc:
            db.session.rollback()
            _refuse(exc)
            _attach_error(form, exc)
        else:
            db.session.commit()
            flash(_("Moderation settings saved."), "success")
            return redirect(url_for(".settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("moderation/settings.html", form=form), status


def _log_filters(form: LogFilterForm) -> services.LogFilters:
    filters = services.LogFilters()
    if not form.validate():
        return filters
    if form.action.data:
        filters.action = ModerationAction(form.action.data)
    filters.kind = form.kind.data or None
    filters.actor_id = form.actor.data or None
    filters.case_id = form.case.data or None
    zone = get_timezone()
    if form.since.data:
        filters.since = datetime.combine(form.since.data, time.min, tzinfo=zone).astimezone(UTC)
    if form.until.data:
        filters.until = (datetime.combine(form.until.data, time.min, tzinfo=zone) + timedelta(days=1)).astimezone(UTC)
    return filters


@bp.get("/admin/log")
@allow(permissions.can_read_log)
def log():
    form = LogFilterForm(request.args)
    filters = _log_filters(form)
    page = paginate(services.log_query(filters), page_number(), 50)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("moderation/log.html", form=form, page=page, export_args=args)


@bp.get("/admin/log.csv")
@allow(permissions.can_export_log)
def log_csv():
    filters = _log_filters(LogFilterForm(request.args))
    app = current_app._get_current_object()

    def chunk(after_id: int) -> tuple[str, int | None]:
        # Each chunk in its own application context: the response is streamed after the
        # view returned.
        with app.app_context():
            rows = services.log_chunk(filters, after_id, CSV_CHUNK)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in rows:
            writer.writerow([_csv_safe(v) for v in row])
        return buffer.getvalue(), (rows[-1][0] if len(rows) == CSV_CHUNK else None)

    def generate():
        header = io.StringIO()
        csv.writer(header).writerow(services.CSV_COLUMNS)
        yield header.getvalue()
        after: int | None = 0
        while after is not None:
            text, after = chunk(after)
            yield text

    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return Response(
        generate(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="moderation-log-{stamp}.csv"'},
    )


CSV_CHUNK = 500


def _csv_safe(value):
    """Text starting with = + - @ would run as a formula in spreadsheets: prefix it."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
