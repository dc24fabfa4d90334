"""Account pages: register, confirm, sign in and out, reset a password, settings, profiles.

Views stay thin: load → permission → form → one service → commit → render or redirect.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from flask_login import logout_user as _flask_logout
from flask_wtf import FlaskForm

from civic.accounts import known_devices, services, tokens
from civic.accounts import two_factor as two_factor_codes
from civic.accounts.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RecoveryCodesForm,
    RegistrationForm,
    ResetPasswordForm,
    SecondStepForm,
    TwoFactorDisableForm,
    TwoFactorSetupForm,
)
from civic.accounts.models import AccountStatus, User, UserSession
from civic.accounts.permissions import (
    can_edit_account,
    can_end_session,
    can_see_account_status,
    can_view_profile,
    is_unconfirmed,
)
from civic.core.errors import Conflict, DomainError, InvalidInput, NotFound
from civic.core.pagination import page_number, paginate
from civic.core.permissions import allow, allow_anyone, authorize, is_signed_in, object_permission
from civic.core.sessions import end_session, start_session
from civic.core.templating import current_locale_code
from civic.core.time import site_timezone, utcnow
from civic.core.urls import safe_next
from civic.extensions import db, limiter

bp = Blueprint("accounts", __name__, template_folder="templates")

#: Where the "check your email" page finds the address it mentions.
SENT_KEY = "accounts_sent_to"
SENT_KINDS = ("register", "reset")


def _post_limit(setting: str):
    """Rate-limit the POSTs of a view with the limit named by ``setting`` in the config."""
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


def _attach(form, error: DomainError) -> None:
    """Show a service's error next to the field it names, else at the top of the form."""
    message = str(error.message)
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


def _default_locale() -> str:
    code = current_locale_code()
    return code if code in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def _link_problem(error: tokens.InvalidToken, purpose: str):
    """A page explaining that an emailed link cannot be used, with what to do next."""
    return render_template(
        "accounts/link_problem.html",
        message=str(error.message),
        expired=isinstance(error, tokens.ExpiredToken),
        purpose=purpose,
    ), 400


# ---- registration and confirmation -------------------------------------------------------


@bp.route("/register", methods=["GET", "POST"])
@allow_anyone
@_post_limit("RATE_LIMIT_REGISTER")
def register():
    if is_signed_in(current_user):
        return redirect(url_for("core.home"))
    form = RegistrationForm()
    if not form.is_submitted():
        form.locale.data = _default_locale()
        form.timezone.data = site_timezone()
    if form.validate_on_submit():
        try:
            services.register_account(
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
            )
        except InvalidInput as error:
            _attach(form, error)
        else:
            db.session.commit()
            session[SENT_KEY] = services.normalise_email(form.email.data)
            return redirect(url_for(".email_sent", kind="register"))
    return render_template("accounts/register.html", form=form)


@bp.get("/check-your-email/<kind>")
@allow_anyone
def email_sent(kind: str):
    if kind not in SENT_KINDS:
        abort(404)
    return render_template(
        "accounts/email_sent.html",
        kind=kind,
        email=session.get(SENT_KEY),
        valid_for=format_timedelta(
            tokens.max_age(tokens.CONFIRM_EMAIL if kind == "register" else tokens.RESET_PASSWORD)
        ),
    )


@bp.route("/confirm-email/<token>", methods=["GET", "POST"])
@allow_anyone
def confirm_email(token: str):
    try:
        if request.method == "POST":
            account = services.confirm_email(token)
            db.session.commit()
            flash(_("Thank you: your email address is confirmed."), "success")
            return redirect(url_for(".settings") if is_signed_in(current_user) else url_for(".login"))
        account = services.check_link(tokens.CONFIRM_EMAIL, token)
    except tokens.InvalidToken as error:
        return _link_problem(error, "confirm")
    if account.email_confirmed_at is not None:
        flash(_("Your email address is already confirmed."), "info")
        return redirect(url_for(".settings") if is_signed_in(current_user) else url_for(".login"))
    return render_template("accounts/confirm_email.html", account=account, form=FlaskForm())


@bp.post("/account/confirmation/resend")
@allow(is_unconfirmed)
@_post_limit("RATE_LIMIT_RESET")
def resend_confirmation():
    try:
        services.resend_confirmation(current_user, actor=current_user)
    except Conflict as error:
        flash(str(error.message), "info")
    else:
        db.session.commit()
        flash(_("We have sent a new confirmation link to %(email)s.", email=current_user.email), "success")
    return redirect(url_for(".settings"))


# ---- signing in and out ------------------------------------------------------------------


def _blocked_message(error: services.AccountBlocked) -> str:
    if error.status == AccountStatus.SUSPENDED:
        if error.until:
            return _("Your account is suspended until %(date)s.", date=format_datetime(error.until))
        return _("Your account is suspended.")
    return _("This account is closed. If you think this is a mistake, please contact the site's team.")


#: Flask session key of a sign-in waiting for its two-step verification code.
PENDING_KEY = "civic_pending_sign_in"
#: Flask session key of a two-step verification secret being set up.
SETUP_KEY = "civic_totp_setup"


def _address() -> str | None:
    return request.remote_addr


def _known_ids() -> list[int]:
    return known_devices.read(request.cookies.get(known_devices.COOKIE_NAME))


def _device() -> str:
    from civic.core.sessions import _device as describe

    return describe(request.headers.get("User-Agent", ""))


def _throttled_message(error: services.Throttled) -> str:
    return _("Too many attempts; try again in %(wait)s.", wait=format_timedelta(error.wait))


def _signed_in(user: User, remember: bool, next_url: str | None):
    """Start the session (after every step passed), remember the device, go on."""
    start_session(user, remember=remember)
    db.session.commit()
    if user.status == AccountStatus.PENDING:
        flash(
            _("Your email address is not confirmed yet. Open the link we sent you, or ask "
              "for a new one on your account page."),
            "info",
        )
    response = redirect(safe_next(next_url) or url_for("core.home"))
    known_devices.remember(response, _known_ids(), user.id)
    return response


@bp.route("/sign-in", methods=["GET", "POST"])
@allow_anyone
@_post_limit("RATE_LIMIT_LOGIN")
def login():
    if is_signed_in(current_user):
        return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
    form = LoginForm()
    if not form.is_submitted():
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        try:
            result = services.sign_in(
                form.email.data,
                form.password.data,
                address=_address(),
                known_ids=_known_ids(),
                device=_device(),
            )
        except services.Throttled as error:
            form.form_errors.append(_throttled_message(error))
        except services.AccountBlocked as error:
            form.form_errors.append(_blocked_message(error))
        except InvalidInput as error:
            db.session.commit()  # the failed attempt counts
            _attach(form, error)
        else:
            if result.second_step:
                session.pop(PENDING_KEY, None)
                session[PENDING_KEY] = {
                    "u": result.user.id,
                    "s": result.user.security_stamp,
                    "r": bool(form.remember.data),
                    "n": safe_next(form.next.data) or "",
                    "t": utcnow().timestamp(),
                }
                db.session.commit()
                return redirect(url_for(".second_step"))
            return _signed_in(result.user, bool(form.remember.data), form.next.data)
    return render_template("accounts/login.html", form=form)


def _pending() -> dict | None:
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        return None
    age = utcnow().timestamp() - float(data.get("t") or 0)
    if age < 0 or age > current_app.config["TWO_FACTOR_PENDING_FOR"].total_seconds():
        session.pop(PENDING_KEY, None)
        return None
    return data


@bp.route("/sign-in/code", methods=["GET", "POST"])
@allow_anyone
@_post_limit("RATE_LIMIT_LOGIN")
def second_step():
    if is_signed_in(current_user):
        return redirect(url_for("core.home"))
    pending = _pending()
    if pending is None:
        if request.method == "POST":
            flash(_("Signing in took too long. Please enter your email address and password again."), "info")
        return redirect(url_for(".login"))
    form = SecondStepForm()
    if form.validate_on_submit():
        user = db.session.get(User, pending["u"])
        if user is None or user.security_stamp != pending.get("s"):
            session.pop(PENDING_KEY, None)
            return redirect(url_for(".login"))
        try:
            result = services.complete_second_step(
                user.id, form.code.data, address=_address(), known_ids=_known_ids(), device=_device()
            )
        except services.Throttled as error:
            form.form_errors.append(_throttled_message(error))
        except services.AccountBlocked as error:
            session.pop(PENDING_KEY, None)
            flash(_blocked_message(error), "error")
            return redirect(url_for(".login"))
        except NotFound:
            session.pop(PENDING_KEY, None)
            return redirect(url_for(".login"))
        except InvalidInput as error:
            db.session.commit()  # the failed attempt counts
            _attach(form, error)
            form.code.data = ""
        else:
            session.pop(PENDING_KEY, None)
            return _signed_in(result.user, bool(pending.get("r")), pending.get("n"))
    return render_template("accounts/second_step.html", form=form)


@bp.post("/sign-out")
@allow_anyone
def logout():
    if is_signed_in(current_user):
        end_session(current_user)
        db.session.commit()
        flash(_("You are signed out."), "success")
    return redirect(url_for("core.home"))


# ---- password reset ----------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow_anyone
@_post_limit("RATE_LIMIT_RESET")
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        session[SENT_KEY] = services.normalise_email(form.email.data)
        return redirect(url_for(".email_sent", kind="reset"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@allow_anyone
def reset_password(token: str):
    try:
        account = services.check_link(tokens.RESET_PASSWORD, token)
    except tokens.InvalidToken as error:
        return _link_problem(error, "reset")
    form = ResetPasswordForm(account=account)
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except tokens.InvalidToken as error:
            return _link_problem(error, "reset")
        except InvalidInput as error:
            _attach(form, error)
        else:
            if is_signed_in(current_user) and current_user.id == account.id:
                end_session(current_user)  # its server-side session has just ended too
            db.session.commit()
            flash(_("Your password has been changed and every session of your account has "
                    "ended. You can now sign in with your new password."), "success")
            return redirect(url_for(".login"))
    return render_template("accounts/reset_password.html", form=form, account=account)


# ---- account settings --------------------------------------------------------------------


@bp.get("/account")
@allow(is_signed_in)
def settings():
    return render_template("accounts/settings.html", account=current_user)


@bp.route("/account/profile", methods=["GET", "POST"])
@allow(is_signed_in)
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                display_name=form.display_name.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
                actor=current_user,
            )
        except InvalidInput as error:
            _attach(form, error)
        else:
            db.session.commit()
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for(".settings"))
    return render_template("accounts/edit_profile.html", form=form)


@bp.route("/account/email", methods=["GET", "POST"])
@allow(is_signed_in)
@_post_limit("RATE_LIMIT_LOGIN")
def change_email():
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(
                current_user,
                new_email=form.email.data,
                current_password=form.current_password.data,
                actor=current_user,
            )
        except InvalidInput as error:
            _attach(form, error)
        else:
            db.session.commit()
            flash(
                _("We have sent a link to %(email)s. Your email address changes when you open "
                  "it. Until then, keep using %(current)s.",
                  email=services.normalise_email(form.email.data), current=current_user.email),
                "success",
            )
            return redirect(url_for(".settings"))
    return render_template("accounts/change_email.html", form=form)


@bp.route("/account/email/confirm/<token>", methods=["GET", "POST"])
@allow_anyone
def confirm_email_change(token: str):
    try:
        if request.method == "POST":
            try:
                account = services.confirm_email_change(token)
            except Conflict as error:
                return render_template(
                    "accounts/link_problem.html", message=str(error.message), expired=False,
                    purpose="change-email",
                ), 409
            db.session.commit()
            flash(_("Your email address is now %(email)s.", email=account.email), "success")
            return redirect(url_for(".settings") if is_signed_in(current_user) else url_for(".login"))
        account = services.check_link(tokens.CHANGE_EMAIL, token)
        new_email = tokens.read_token(tokens.CHANGE_EMAIL, token).get("n")
    except tokens.InvalidToken as error:
        return _link_problem(error, "change-email")
    return render_template(
        "accounts/confirm_email_change.html", account=account, new_email=new_email, form=FlaskForm()
    )


@bp.route("/account/password", methods=["GET", "POST"])
@allow(is_signed_in)
@_post_limit("RATE_LIMIT_LOGIN")
def change_password():
    form = ChangePasswordForm(account=current_user)
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                current_password=form.current_password.data,
                new_password=form.password.data,
                actor=current_user,
            )
        except InvalidInput as error:
            _attach(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed. You stay signed in here; every other "
                    "device has been signed out."), "success")
            return redirect(url_for(".settings"))
    return render_template("accounts/change_password.html", form=form)


@bp.get("/account/sessions")
@allow(is_signed_in)
def sessions():
    page = paginate(
        services.active_sessions_query(current_user),
        page_number(),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "accounts/sessions.html",
        page=page,
        is_current=lambda row: services.is_current_session(current_user, row),
        form=FlaskForm(),
    )


@bp.post("/account/sessions/end-others")
@allow(is_signed_in)
def end_other_sessions():
    count = services.end_other_sessions(current_user, actor=current_user)
    db.session.commit()
    flash(_("You have been signed out everywhere else (%(count)s sessions ended).", count=count), "success")
    return redirect(url_for(".sessions"))


@bp.post("/account/sessions/<int:session_id>/end")
@object_permission
def sign_out_session(session_id: int):
    row = db.session.get(UserSession, session_id)
    if row is None:
        abort(404)
    authorize(can_end_session(current_user, row))
    try:
        services.end_one_session(current_user, session_id, actor=current_user)
    except NotFound:
        abort(404)
    except Conflict as error:
        flash(str(error.message), "info")
    else:
        db.session.commit()
        flash(_("That device has been signed out."), "success")
    return redirect(url_for(".sessions"))


@bp.post("/account/sessions/end-all")
@allow(is_signed_in)
def end_all_sessions():
    count = services.end_all_sessions_everywhere(current_user, actor=current_user)
    _flask_logout()
    db.session.commit()
    flash(_("You have been signed out everywhere, this device included (%(count)s sessions ended).",
            count=count), "success")
    return redirect(url_for(".login"))


# ---- two-step verification ---------------------------------------------------------------


@bp.get("/account/two-factor")
@allow(is_signed_in)
def two_factor():
    return render_template(
        "accounts/two_factor.html",
        account=current_user,
        codes_left=two_factor_codes.recovery_codes_left(current_user) if current_user.has_two_factor else 0,
        disable_form=TwoFactorDisableForm(formdata=None),
        codes_form=RecoveryCodesForm(formdata=None),
    )


def _setup_secret() -> str:
    secret = session.get(SETUP_KEY)
    if not two_factor_codes.valid_secret(secret):
        secret = two_factor_codes.new_secret()
        session[SETUP_KEY] = secret
    return secret


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@allow(is_signed_in)
@_post_limit("RATE_LIMIT_LOGIN")
def two_factor_setup():
    secret = _setup_secret()
    form = TwoFactorSetupForm()
    if form.validate_on_submit():
        try:
            codes = services.enable_two_factor(
                current_user,
                secret=secret,
                code=form.code.data,
                current_password=form.current_password.data,
                actor=current_user,
            )
        except InvalidInput as error:
            _attach(form, error)
            form.code.data = ""
        else:
            db.session.commit()
            session.pop(SETUP_KEY, None)
            return render_template("accounts/recovery_codes.html", codes=codes, just_enabled=True)
    uri = two_factor_codes.provisioning_uri(secret, current_user.email)
    return render_template(
        "accounts/two_factor_setup.html",
        form=form,
        qr=two_factor_codes.qr_data_uri(uri),
        secret=two_factor_codes.grouped(secret),
        account=current_user,
    ), (400 if form.errors or form.form_errors else 200)


@bp.post("/account/two-factor/recovery-codes")
@allow(is_signed_in)
@_post_limit("RATE_LIMIT_LOGIN")
def two_factor_recovery_codes():
    form = RecoveryCodesForm()
    if form.validate_on_submit():
        try:
            codes = services.new_recovery_codes(current_user, code=form.code.data, actor=current_user)
        except DomainError as error:
            flash(str(error.message), "error")
        else:
            db.session.commit()
            return render_template("accounts/recovery_codes.html", codes=codes, just_enabled=False)
    else:
        flash(_("Enter the six digits your app shows."), "error")
    return redirect(url_for(".two_factor"))


@bp.post("/account/two-factor/disable")
@allow(is_signed_in)
@_post_limit("RATE_LIMIT_LOGIN")
def two_factor_disable():
    form = TwoFactorDisableForm()
    if form.validate_on_submit():
        try:
            services.disable_two_factor(
                current_user,
                current_password=form.current_password.data,
                code=form.code.data,
                actor=current_user,
            )
        except Conflict as error:
            flash(str(error.message), "info")
            return redirect(url_for(".two_factor"))
        except InvalidInput as error:
            _attach(form, error)
        else:
            db.session.commit()
            flash(_("Two-step verification is off."), "success")
            return redirect(url_for(".two_factor"))
    return render_template(
        "accounts/two_factor.html",
        account=current_user,
        codes_left=two_factor_codes.recovery_codes_left(current_user) if current_user.has_two_factor else 0,
        disable_form=form,
        codes_form=RecoveryCodesForm(formdata=None),
    ), 400


# ---- public profiles ---------------------------------------------------------------------


@bp.get("/people/<int:user_id>")
@object_permission
def profile(user_id: int):
    person = db.session.get(User, user_id)
    # Closed accounts are not found for anyone but administrators (404, not 403).
    if person is None or not can_view_profile(current_user, person):
        abort(404)
    locale = current_locale_code()
    departments = sorted(
        (m.department.name_for(locale) for m in person.memberships),
        key=lambda pair: pair[0].casefold(),
    )
    return render_template(
        "accounts/profile.html",
        person=person,
        departments=departments,
        is_owner=can_edit_account(current_user, person),
        show_status=can_see_account_status(current_user, person),
    )
