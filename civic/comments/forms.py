"""Forms for comments. Length, languages and mentions are checked by the services (the
limit is a setting, ``COMMENT_MAX_LENGTH``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField
from wtforms.validators import DataRequired, Optional

from civic.comments.models import CommentPosition
from civic.comments.services import language_options
from civic.core.forms import CleanTextAreaField
from civic.core.templating import current_locale_code


class CommentForm(FlaskForm):
    body = CleanTextAreaField(_l("Your comment"), validators=[DataRequired(message=_l("Write your comment."))])
    language = SelectField(_l("Language of your comment"), validators=[DataRequired()])
    position = RadioField(
        _l("Your position (optional)"),
        choices=[("", _l("I do not state a position"))] + CommentPosition.choices(),
        default="",
        validators=[Optional()],
    )
    parent_id = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_options()
        if not self.language.data:
            self.language.data = current_locale_code()
        if self.position.data is None:
            self.position.data = ""

    def parent(self) -> int | None:
        try:
            return int(self.parent_id.data) if self.parent_id.data else None
        except (TypeError, ValueError):
            return None


class SettingsForm(FlaskForm):
    keep_open_after_close = BooleanField(_l("Keep the discussion open after the consultation closes"))


def mention_choices(form_data) -> dict[str, str]:
    """The chooser's answers: ``{"mention-<key>": "<user id>" or "0"}``."""
    return {k: v for k, v in form_data.items() if k.startswith("mention-")}
