"""Account forms. Services check every rule again; the forms catch mistakes early so that all
of them are shown at once, next to the fields, keeping what the person typed (but passwords).
"""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField
from wtforms.validators import Email, EqualTo, InputRequired, Length, ValidationError

from civic.core.forms import CleanStringField
from civic.core.i18n import language_choices
from civic.core.time import all_timezones, is_valid_timezone

_EMAIL_ATTRS = {"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none",
                "inputmode": "email"}
_NEW_PASSWORD_ATTRS = {"autocomplete": "new-password", "spellcheck": "false",
                       "autocapitalize": "none"}
_CURRENT_PASSWORD_ATTRS = {"autocomplete": "current-password", "spellcheck": "false",
                           "autocapitalize": "none"}


def _email_field(label):
    return EmailField(
        label,
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=254, message=_l("An email address has at most 254 characters.")),
            Email(_l("Enter an email address like name@example.org."), check_deliverability=False),
        ],
        render_kw=dict(_EMAIL_ATTRS),
    )


def _display_name_field():
    return CleanStringField(
        _l("Display name"),
        validators=[
            InputRequired(_l("Enter the name to show with what you write.")),
            Length(min=2, max=80, message=_l("Your display name must have between %(min)d and %(max)d characters.")),
        ],
        render_kw={"autocomplete": "nickname", "maxlength": 80},
    )


def _new_password_field(label):
    return PasswordField(
        label,
        validators=[InputRequired(_l("Enter a password."))],
        render_kw=dict(_NEW_PASSWORD_ATTRS),
    )


def _confirm_field():
    return PasswordField(
        _l("Confirm password"),
        validators=[
            InputRequired(_l("Enter the password a second time.")),
            EqualTo("password", message=_l("The two passwords are different. Type the same password twice.")),
        ],
        render_kw=dict(_NEW_PASSWORD_ATTRS),
    )


def _current_password_field():
    return PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password."))],
        render_kw=dict(_CURRENT_PASSWORD_ATTRS),
    )


def timezone_choices() -> list[tuple[str, str]]:
    return [(zone, zone.replace("_", " ")) for zone in all_timezones()]


def _check_new_password(field, *, email, display_name) -> None:
    from civic.accounts.services import password_problem

    problem = password_problem(field.data, email=email, display_name=display_name)
    if problem is not None:
        raise ValidationError(problem)


class _PreferencesMixin:
    def _setup_choices(self) -> None:
        self.locale.choices = language_choices()
        self.timezone.choices = timezone_choices()

    def validate_locale(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages offered."))

    def validate_timezone(self, field):
        if not is_valid_timezone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))


class RegistrationForm(_PreferencesMixin, FlaskForm):
    email = _email_field(_l("Email address"))
    display_name = _display_name_field()
    password = _new_password_field(_l("Password"))
    password_confirm = _confirm_field()
    locale = SelectField(_l("Preferred language"), choices=[], validate_choice=False)
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_choices()

    def validate_password(self, field):
        _check_new_password(field, email=self.email.data, display_name=self.display_name.data)


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        validators=[InputRequired(_l("Enter your email address."))],
        render_kw=dict(_EMAIL_ATTRS),
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password."))],
        render_kw=dict(_CURRENT_PASSWORD_ATTRS),
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = _email_field(_l("Email address"))


class _NewPasswordMixin:
    """Checks the new password against the policy, knowing whose account it is for."""

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._account = account

    def validate_password(self, field):
        _check_new_password(
            field,
            email=getattr(self._account, "email", None),
            display_name=getattr(self._account, "display_name", None),
        )


class ResetPasswordForm(_NewPasswordMixin, FlaskForm):
    password = _new_password_field(_l("New password"))
    password_confirm = _confirm_field()


class ChangePasswordForm(_NewPasswordMixin, FlaskForm):
    current_password = _current_password_field()
    password = _new_password_field(_l("New password"))
    password_confirm = _confirm_field()


class ChangeEmailForm(FlaskForm):
    email = _email_field(_l("New email address"))
    current_password = _current_password_field()


class ProfileForm(_PreferencesMixin, FlaskForm):
    display_name = _display_name_field()
    locale = SelectField(_l("Preferred language"), choices=[], validate_choice=False)
    timezone = SelectField(_l("Time zone"), choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._setup_choices()


_CODE_ATTRS = {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
               "autocapitalize": "none", "maxlength": 20}


def _code_field(label, message=None):
    return CleanStringField(
        label,
        validators=[InputRequired(message or _l("Enter the code.")), Length(max=20)],
        render_kw=dict(_CODE_ATTRS),
    )


class SecondStepForm(FlaskForm):
    """After the password: a code from the authenticator app, or a recovery code."""

    code = _code_field(_l("Verification code"), _l("Enter the code your app shows."))


class TwoFactorSetupForm(FlaskForm):
    code = _code_field(_l("Code shown by your app"), _l("Enter the six digits your app shows."))
    current_password = _current_password_field()


class TwoFactorDisableForm(FlaskForm):
    current_password = _current_password_field()
    code = _code_field(_l("Code shown by your app, or a recovery code"))


class RecoveryCodesForm(FlaskForm):
    code = _code_field(_l("Code shown by your app"), _l("Enter the six digits your app shows."))
