"""The barrier report form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import DataRequired, Email, Length, Optional

from civic.core.forms import CleanStringField, CleanTextAreaField


class BarrierReportForm(FlaskForm):
    page_address = CleanStringField(
        _l("Address of the page"),
        validators=[
            DataRequired(_l("Enter the address of the page where you met the problem.")),
            Length(max=500, message=_l("The address must be at most %(max)d characters long.")),
        ],
    )
    description = CleanTextAreaField(
        _l("What stopped you?"),
        validators=[
            DataRequired(_l("Describe the problem you met.")),
            Length(max=5000, message=_l("The description must be at most %(max)d characters long.")),
        ],
    )
    email = CleanStringField(
        _l("Email address (optional)"),
        validators=[
            Optional(),
            Email(_l("Enter an email address like name@example.org, or leave it empty.")),
            Length(max=320),
        ],
    )
