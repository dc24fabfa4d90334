"""Administration forms."""

from __future__ import annotations

from babel import Locale
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import InputRequired, Length, Optional

from civic.accounts.models import AccountStatus, Role
from civic.admin.services import ADMIN_STATUSES, default_language
from civic.core.forms import CleanStringField


class UserFilterForm(FlaskForm):
    """The search and filters above the list of people (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    q = CleanStringField(_l("Name or email contains"), validators=[Optional(), Length(max=100)])
    role = SelectField(_l("Role"), validators=[Optional()])
    status = SelectField(_l("Status"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Any role"))] + Role.choices()
        self.status.choices = [("", _l("Any status"))] + AccountStatus.choices()


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = Role.choices()


class StatusForm(FlaskForm):
    status = SelectField(_l("Status"), validators=[InputRequired()])
    until = DateField(_l("Suspended until (optional)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [(s.value, s.label) for s in ADMIN_STATUSES]


class MembershipForm(FlaskForm):
    department = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])


class AddMemberForm(FlaskForm):
    email = CleanStringField(_l("Email address of the person"), validators=[InputRequired(), Length(max=320)])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: buttons that act."""


def language_label(code: str) -> str:
    """"Name in French" written in the page's language."""
    try:
        name = Locale.parse(code).get_display_name(get_locale() or "en") or code
    except (ValueError, TypeError):
        name = code
    return str(_l("Name in %(language)s", language=name))


def department_form(obj=None) -> FlaskForm:
    """The department form, with one name field per language the site offers."""

    class DepartmentForm(FlaskForm):
        slug = CleanStringField(
            _l("Short name for addresses"),
            validators=[InputRequired(), Length(max=80)],
            description=_l("Lower-case letters, digits and hyphens, like urban-planning."),
        )
        email = CleanStringField(
            _l("Contact email (optional)"),
            validators=[Optional(), Length(max=320)],
        )

    default = default_language()
    languages = current_app.config["LANGUAGES"]
    for code in sorted(languages, key=lambda c: c != default):
        validators = [InputRequired() if code == default else Optional(), Length(max=200)]
        setattr(DepartmentForm, f"name_{code}", CleanStringField(language_label(code), validators=validators))
    form = DepartmentForm(obj=obj)
    if obj is not None and not form.is_submitted():
        for code in languages:
            getattr(form, f"name_{code}").data = (obj.name_translations or {}).get(code, "")
    form.name_fields = [(code, getattr(form, f"name_{code}")) for code in sorted(languages, key=lambda c: c != default)]
    return form


def names_from(form) -> dict[str, str]:
    return {code: f.data for code, f in form.name_fields}
