"""Forms of the data-rights pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField
from wtforms.validators import InputRequired, Length, Optional

from civic.core.forms import CleanStringField

KEEP = "keep"
REMOVE = "remove"


class DeleteAccountForm(FlaskForm):
    contributions = RadioField(
        _l("Your public contributions (proposals and comments)"),
        choices=[
            (KEEP, _l("Keep them, shown as written by \u201ca former member\u201d (no name, no link)")),
            (REMOVE, _l("Remove them (comments leave a \u201cdeleted\u201d mark so replies still make sense)")),
        ],
        default=KEEP,
        validators=[InputRequired(_l("Choose what happens to your contributions."))],
    )
    current_password = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password", "spellcheck": "false", "autocapitalize": "none"},
    )
    code = CleanStringField(
        _l("Code shown by your app, or a recovery code"),
        validators=[Optional(), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )
    confirm = BooleanField(
        _l("I understand that my account cannot be restored once deleted"),
        validators=[InputRequired(_l("Tick the box to confirm that you want to delete your account."))],
    )


class ExportForm(FlaskForm):
    """Only the CSRF token: the download button."""
