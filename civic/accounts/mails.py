"""Account emails, written in the recipient's own language.

Texts live in ``templates/accounts/email/*.txt``; each is rendered under
``force_locale(recipient.locale)`` so the subject, the body and any duration read in the
language the person chose, whatever language the page that triggered the email was in.
Links are built from ``SERVER_BASE_URL`` (``CIVIC_BASE_URL``), never from the request's
``Host`` header, so a forged header cannot send people a link to someone else's site.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale, format_timedelta
from flask_babel import lazy_gettext as _l

from civic.accounts import tokens
from civic.core.mail import send_mail


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on the configured public address of the site."""
    base = current_app.config["SERVER_BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost")
    return base + adapter.build(endpoint, values)


def _locale(user) -> str:
    languages = current_app.config["LANGUAGES"]
    code = getattr(user, "locale", None)
    return code if code in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def _send(user, template: str, subject, *, to: str | None = None,
          valid_for: timedelta | None = None, **context) -> None:
    locale = _locale(user)
    with force_locale(locale):
        if valid_for is not None:
            context["valid_for"] = format_timedelta(valid_for)
        text = render_template(f"accounts/email/{template}.txt", user=user, **context)
        send_mail(
            to or user.email,
            str(subject),
            text,
            headers={"Content-Language": locale, "Auto-Submitted": "auto-generated"},
        )


def send_confirmation(user) -> None:
    token = tokens.make_token(tokens.CONFIRM_EMAIL, user)
    _send(
        user,
        "confirm",
        _l("Confirm your email address"),
        link=external_url("accounts.confirm_email", token=token),
        valid_for=tokens.max_age(tokens.CONFIRM_EMAIL),
    )


def send_already_registered(user) -> None:
    """Someone tried to create an account with this person's address."""
    _send(
        user,
        "already_registered",
        _l("Someone tried to create an account with your email address"),
        login_link=external_url("accounts.login"),
        reset_link=external_url("accounts.forgot_password"),
    )


def send_password_reset(user) -> None:
    token = tokens.make_token(tokens.RESET_PASSWORD, user)
    _send(
        user,
        "reset_password",
        _l("Choose a new password"),
        link=external_url("accounts.reset_password", token=token),
        valid_for=tokens.max_age(tokens.RESET_PASSWORD),
    )


def send_password_changed(user) -> None:
    _send(
        user,
        "password_changed",
        _l("Your password was changed"),
        reset_link=external_url("accounts.forgot_password"),
    )


def send_email_change_link(user, new_email: str) -> None:
    """To the new address: the link that makes the change happen."""
    token = tokens.make_token(tokens.CHANGE_EMAIL, user, n=new_email)
    _send(
        user,
        "change_email_confirm",
        _l("Confirm your new email address"),
        to=new_email,
        new_email=new_email,
        link=external_url("accounts.confirm_email_change", token=token),
        valid_for=tokens.max_age(tokens.CHANGE_EMAIL),
    )


def send_email_change_notice(user, new_email: str) -> None:
    """To the current address: a change was asked for."""
    _send(
        user,
        "change_email_notice",
        _l("A change of email address was requested"),
        new_email=new_email,
        reset_link=external_url("accounts.forgot_password"),
    )


def send_email_in_use(owner) -> None:
    """To an address that another account tried to move to: it is already taken."""
    _send(
        owner,
        "email_in_use",
        _l("Someone tried to use your email address"),
        reset_link=external_url("accounts.forgot_password"),
    )


def send_email_changed(user, old_email: str) -> None:
    """To the previous address, once the change is done."""
    _send(
        user,
        "email_changed",
        _l("Your email address was changed"),
        to=old_email,
        old_email=old_email,
        reset_link=external_url("accounts.forgot_password"),
    )


def send_sign_in_notice(user, *, failures: int, device: str,
                        recovery_codes_left: int | None = None) -> None:
    """A sign-in succeeded after failed attempts, or with a recovery code."""
    from babel.dates import format_datetime

    from civic.core.time import utcnow

    when = format_datetime(utcnow(), "medium", tzinfo=_zone(user), locale=_locale(user))
    _send(
        user,
        "sign_in_notice",
        _l("New sign-in to your account"),
        failures=failures,
        device=device,
        when=when,
        recovery_codes_left=recovery_codes_left,
        sessions_link=external_url("accounts.sessions"),
        reset_link=external_url("accounts.forgot_password"),
    )


def _zone(user):
    from zoneinfo import ZoneInfo

    from civic.core.time import is_valid_timezone

    zone = getattr(user, "timezone", None)
    return ZoneInfo(zone if is_valid_timezone(zone) else current_app.config["BABEL_DEFAULT_TIMEZONE"])


TWO_FACTOR_SUBJECTS = {
    "enabled": _l("Two-step verification is on"),
    "replaced": _l("Two-step verification moved to a new device"),
    "disabled": _l("Two-step verification is off"),
    "recovery_codes": _l("New recovery codes for your account"),
    "reset": _l("An administrator turned off your two-step verification"),
}


def send_two_factor_changed(user, change: str) -> None:
    _send(
        user,
        "two_factor_changed",
        TWO_FACTOR_SUBJECTS[change],
        change=change,
        settings_link=external_url("accounts.two_factor"),
        reset_link=external_url("accounts.forgot_password"),
    )


def render_account_deleted(user) -> tuple[str, str, str, dict]:
    """(to, subject, text, headers) of the goodbye email, rendered while the account exists."""
    locale = _locale(user)
    with force_locale(locale):
        text = render_template("accounts/email/account_deleted.txt", user=user)
        subject = str(_l("Your account has been deleted"))
    return user.email, subject, text, {"Content-Language": locale, "Auto-Submitted": "auto-generated"}
