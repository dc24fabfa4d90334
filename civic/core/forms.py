"""Forms and fields shared by every domain."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import ValidationError

from civic.core.sanitize import clean_input


class CleanStringField(StringField):
    """A text field that strips surrounding space and removes control characters."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = clean_input(self.data).strip()


class CleanTextAreaField(TextAreaField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            self.data = clean_input(self.data).strip()


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from civic.core.i18n import language_choices

        self.language.choices = language_choices()

    def validate_language(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages offered."))
