"""Forms for meetings, registration (access needs), check-in, minutes and scheduling polls."""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from civic.core.forms import CleanStringField, CleanTextAreaField
from civic.core.i18n import language_choices
from civic.core.time import all_timezones
from civic.meetings.models import MeetingType, PollChoice, RegistrationMode

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
_AGENDA_LINE = re.compile(r"^\s*(\d{1,4})\s*(?:min\.?|minutes?|')?\s*[-–—:|,.]?\s*(.+?)\s*$", re.IGNORECASE)


def parse_agenda(text: str | None) -> list[tuple[int, str]]:
    """"15 Welcome" lines → ``[(15, "Welcome")]``; raises ValueError naming the bad line."""
    items = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = _AGENDA_LINE.match(line)
        if not match:
            raise ValueError(number)
        items.append((int(match.group(1)), match.group(2)[:200]))
    return items


def parse_links(text: str | None) -> list[tuple[str, str]]:
    """"Title https://…" lines → ``[(title, url)]``; raises ValueError naming the bad line."""
    links = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        title, _space, url = line.rpartition(" ")
        title = title.strip(" -–—:|")
        if not title or not url.lower().startswith("https://"):
            raise ValueError(number)
        links.append((title, url))
    return links


def _timezone_choices():
    return [(z, z.replace("_", " ")) for z in all_timezones()]


class MeetingForm(FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    consultation_id = SelectField(_l("Consultation (optional)"), coerce=int, default=0)
    locale = SelectField(_l("Language you are writing in"), choices=[])
    title = CleanStringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=200, message=_l("The title must be at most %(max)d characters long."))],
    )
    description = CleanTextAreaField(
        _l("Description"), validators=[Optional(), Length(max=20000, message=_l("The description must be at most %(max)d characters long."))]
    )
    agenda = CleanTextAreaField(_l("Agenda"), validators=[Optional(), Length(max=10000)])
    type = RadioField(_l("Kind of meeting"), choices=MeetingType.choices(), validators=[InputRequired(_l("Choose the kind of meeting."))])
    timezone = SelectField(_l("Time zone of the times below"), choices=[])
    starts_local = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMATS, validators=[InputRequired(_l("Enter the date and time it starts, like 2026-05-03 18:30."))]
    )
    ends_local = DateTimeLocalField(
        _l("Ends"), format=DATETIME_FORMATS, validators=[InputRequired(_l("Enter the date and time it ends, like 2026-05-03 20:00."))]
    )
    address = CleanTextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)])
    access_notes = CleanTextAreaField(_l("Access notes"), validators=[Optional(), Length(max=5000)])
    video = RadioField(_l("Online link"), choices=[], default="none")
    join_url = CleanStringField(_l("Link to join"), validators=[Optional(), Length(max=500)])
    registration = RadioField(_l("Registration"), choices=RegistrationMode.choices(), default=RegistrationMode.OFF.value)
    capacity = IntegerField(_l("Number of places"), validators=[Optional(), NumberRange(min=1, max=100000, message=_l("Enter a number from 1 to 100,000."))])
    confirm_overlap = BooleanField(_l("I know it overlaps; schedule it anyway"))

    def __init__(self, *args, jitsi: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()
        self.timezone.choices = _timezone_choices()
        choices = [
            ("none", _l("No link yet (add it later)")),
            ("link", _l("A link to any video service (https)")),
        ]
        if jitsi:
            choices.append(("jitsi", _l("Create a private video room for this meeting")))
        self.video.choices = choices
        self.parsed_agenda: list[tuple[int, str]] = []

    def validate_agenda(self, field):
        try:
            self.parsed_agenda = parse_agenda(field.data)
        except ValueError as exc:
            raise ValidationError(
                _l("Line %(line)s of the agenda does not start with a number of minutes.", line=exc.args[0])
            ) from None

    def validate_locale(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages offered."))

    def validate_timezone(self, field):
        if field.data not in set(all_timezones()):
            raise ValidationError(_l("Choose a time zone from the list."))


class TranslationForm(FlaskForm):
    title = CleanStringField(_l("Title"), validators=[Optional(), Length(max=200)])
    description = CleanTextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    access_notes = CleanTextAreaField(_l("Access notes"), validators=[Optional(), Length(max=5000)])


class RegistrationForm(FlaskForm):
    sign_language = CleanStringField(_l("Sign-language interpretation into"), validators=[Optional(), Length(max=80)])
    captions = BooleanField(_l("Live captions"))
    interpretation_language = CleanStringField(_l("Interpretation into another spoken language"), validators=[Optional(), Length(max=80)])
    step_free = BooleanField(_l("Step-free access (no stairs)"))
    hearing_loop = BooleanField(_l("Hearing loop"))
    childcare = BooleanField(_l("Childcare during the meeting"))
    other = CleanTextAreaField(_l("Anything else we should prepare?"), validators=[Optional(), Length(max=2000)])


class CheckInForm(FlaskForm):
    code = CleanStringField(_l("Registration code"), validators=[DataRequired(_l("Enter the code the person shows you.")), Length(max=20)])


class MinutesForm(FlaskForm):
    locale = SelectField(_l("Language of the minutes"), choices=[])
    minutes = CleanTextAreaField(_l("Minutes"), validators=[DataRequired(_l("Write the minutes.")), Length(max=100000)])
    attendee_count = IntegerField(_l("Number of people who attended"), validators=[Optional(), NumberRange(min=0, max=1000000)])
    recording_url = CleanStringField(_l("Link to the recording (optional)"), validators=[Optional(), Length(max=500)])
    outcomes = CleanTextAreaField(_l("What came out of it (optional)"), validators=[Optional(), Length(max=20000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()
        self.parsed_outcomes: list[tuple[str, str]] = []

    def validate_outcomes(self, field):
        try:
            self.parsed_outcomes = parse_links(field.data)
        except ValueError as exc:
            raise ValidationError(
                _l("Line %(line)s needs a title followed by an address starting with https://.", line=exc.args[0])
            ) from None


class SlotForm(Form):
    starts_local = DateTimeLocalField(_l("Starts"), format=DATETIME_FORMATS, validators=[Optional()])
    ends_local = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[Optional()])


class PollForm(FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    consultation_id = SelectField(_l("Consultation (optional)"), coerce=int, default=0)
    locale = SelectField(_l("Language you are writing in"), choices=[])
    title = CleanStringField(_l("Title of the meeting"), validators=[DataRequired(_l("Enter a title.")), Length(max=200)])
    description = CleanTextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    type = RadioField(_l("Kind of meeting"), choices=MeetingType.choices(), validators=[InputRequired(_l("Choose the kind of meeting."))])
    timezone = SelectField(_l("Time zone of the proposed dates"), choices=[])
    slots = FieldList(FormField(SlotForm), min_entries=5, max_entries=12)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices()
        self.timezone.choices = _timezone_choices()

    def validate_locale(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages offered."))

    def validate_timezone(self, field):
        if field.data not in set(all_timezones()):
            raise ValidationError(_l("Choose a time zone from the list."))

    def slot_values(self):
        """Filled-in rows as ``[(start, end)]``; rows with only one time are errors."""
        out = []
        for entry in self.slots:
            start, end = entry.form.starts_local.data, entry.form.ends_local.data
            if start is None and end is None:
                continue
            if start is None or end is None:
                raise ValueError(entry.id)
            out.append((start, end))
        return out


def poll_answer_form(poll, existing: dict, slot_label):
    """A form with one radio group per slot (yes / if need be / no), pre-filled."""

    class PollAnswerForm(FlaskForm):
        pass

    for slot in poll.slots:
        current = existing.get(slot.id)
        setattr(
            PollAnswerForm,
            f"slot_{slot.id}",
            RadioField(
                slot_label(slot),
                choices=PollChoice.choices(),
                validators=[Optional()],
                default=current.value if current else None,
            ),
        )
    return PollAnswerForm()
