"""Forms: email preferences per notification kind."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from civic.accounts.models import NotificationFrequency
from civic.notifications import kinds


def preferences_form(current: dict) -> FlaskForm:
    """One set of radio buttons per registered kind, named after the kind's value."""

    class PreferencesForm(FlaskForm):
        pass

    for kind, spec in kinds.KINDS.items():
        setattr(
            PreferencesForm,
            f"kind_{kind.value}",
            RadioField(
                kind.label,
                choices=NotificationFrequency.choices(),
                default=current.get(kind, spec.default).value,
                validators=[InputRequired()],
                description=spec.description,
            ),
        )
    return PreferencesForm()


def chosen_frequencies(form) -> dict:
    return {kind: NotificationFrequency(getattr(form, f"kind_{kind.value}").data) for kind in kinds.KINDS}


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: confirm buttons."""
