"""Forms for consultations. Times are typed in the city's time zone and stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)
from wtforms.fields import DateTimeLocalField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from civic.consultations.models import QuestionKind, ResultsVisibility
from civic.core.forms import CleanStringField, CleanTextAreaField
from civic.core.i18n import language_choices
from civic.core.time import site_timezone


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes (rendered by the ``field`` macro as a fieldset)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def local_to_utc(naive: datetime, zone: str) -> datetime:
    """A wall-clock time in ``zone`` → UTC. Refuses times skipped by a clock change."""
    tz = ZoneInfo(zone)
    aware = naive.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        raise ValueError("nonexistent local time")
    return aware.astimezone(UTC)


def utc_to_local(value: datetime | None, zone: str) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


class CityDateTimeField(DateTimeLocalField):
    """``<input type="datetime-local">`` read in the city's time zone; ``.utc`` is the moment."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%Y-%m-%dT%H:%M", **kwargs)

    @property
    def utc(self) -> datetime | None:
        if self.data is None:
            return None
        return local_to_utc(self.data, site_timezone())

    def pre_validate(self, form):
        if self.data is not None:
            try:
                self.utc  # noqa: B018 - raises for a skipped time
            except ValueError:
                raise ValidationError(
                    _l("This time does not exist in the city's time zone (the clocks change then). Choose another time.")
                ) from None


def _department_choices(user) -> list[tuple[int, str]]:
    from sqlalchemy import select

    from civic.accounts.models import Department
    from civic.core.permissions import is_admin
    from civic.core.templating import current_locale_code
    from civic.extensions import db

    stmt = select(Department).order_by(Department.slug)
    if not is_admin(user):
        stmt = stmt.where(Department.id.in_(list(user.department_ids) or [-1]))
    locale = current_locale_code()
    return [(d.id, d.name_for(locale)[0]) for d in db.session.execute(stmt).scalars()]


def _named_choices(rows) -> list[tuple[int, str]]:
    from civic.core.templating import current_locale_code

    locale = current_locale_code()
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    return [(r.id, r.name_for(locale, default).text) for r in rows]


class _TaxonomyMixin:
    def fill_choices(self, user):
        from civic.consultations.services import all_areas, all_topics

        self.department_id.choices = _department_choices(user)
        self.default_locale.choices = language_choices()
        self.area_id.choices = [(0, _l("The whole city"))] + _named_choices(all_areas())
        self.topic_ids.choices = _named_choices(all_topics())


class ConsultationForm(_TaxonomyMixin, FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    default_locale = SelectField(
        _l("Main language"), validators=[InputRequired()],
    )
    title = CleanStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = CleanTextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=2000)])
    body = CleanTextAreaField(_l("Full text"), validators=[Optional(), Length(max=200_000)])
    easy_read = CleanTextAreaField(_l("Easy-read summary"), validators=[Optional(), Length(max=5000)])
    area_id = SelectField(_l("Area"), coerce=int, default=0)
    topic_ids = MultiCheckboxField(_l("Topics"), coerce=int, validators=[Optional()])


class SettingsForm(_TaxonomyMixin, FlaskForm):
    department_id = SelectField(_l("Department"), coerce=int, validators=[InputRequired()])
    default_locale = SelectField(_l("Main language"), validators=[InputRequired()])
    area_id = SelectField(_l("Area"), coerce=int, default=0)
    topic_ids = MultiCheckboxField(_l("Topics"), coerce=int, validators=[Optional()])
    results_visibility = RadioField(
        _l("Show the results"), choices=ResultsVisibility.choices(),
        default=ResultsVisibility.AFTER_CLOSE.value, validators=[InputRequired()],
    )
    verified_only = BooleanField(_l("Only verified residents may answer"))
    response_weeks = IntegerField(
        _l("Weeks to publish the report after closing"), default=12,
        validators=[InputRequired(), NumberRange(min=1, max=104)],
    )


class DatesForm(FlaskForm):
    opens_at = CityDateTimeField(_l("Opens on"), validators=[InputRequired()])
    closes_at = CityDateTimeField(_l("Closes on"), validators=[InputRequired()])


class TranslationForm(FlaskForm):
    title = CleanStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    summary = CleanTextAreaField(_l("Summary"), validators=[DataRequired(), Length(max=2000)])
    body = CleanTextAreaField(_l("Full text"), validators=[Optional(), Length(max=200_000)])
    easy_read = CleanTextAreaField(_l("Easy-read summary"), validators=[Optional(), Length(max=5000)])


class CoverForm(FlaskForm):
    image = FileField(_l("Image (PNG, JPEG or WebP)"))
    alt = CleanStringField(_l("Alternative text"), validators=[DataRequired(), Length(max=300)])


class AttachmentForm(FlaskForm):
    file = FileField(_l("File (PDF, ODT, DOCX, PNG, JPEG or WebP)"))
    title = CleanStringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    language = SelectField(_l("Language of the document"), validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = language_choices()

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose a file."))


class SectionForm(FlaskForm):
    title = CleanStringField(_l("Heading"), validators=[Optional(), Length(max=200)])
    body = CleanTextAreaField(_l("Text"), validators=[Optional(), Length(max=100_000)])


class QuestionForm(FlaskForm):
    kind = RadioField(_l("Kind of question"), choices=QuestionKind.choices(), validators=[InputRequired()])
    prompt = CleanStringField(_l("Question"), validators=[DataRequired(), Length(max=500)])
    hint = CleanStringField(_l("Help text"), validators=[Optional(), Length(max=500)])
    options = CleanTextAreaField(_l("Options, one per line"), validators=[Optional(), Length(max=5000)])
    max_choices = IntegerField(_l("Most options one person may choose"), validators=[Optional(), NumberRange(min=1, max=30)])
    max_length = IntegerField(_l("Longest answer, in characters"), validators=[Optional(), NumberRange(min=10, max=10_000)])


class ReportForm(FlaskForm):
    report = CleanTextAreaField(_l("Report: what you heard and what the city will do"), validators=[DataRequired(), Length(max=200_000)])


class NamedForm(FlaskForm):
    """A topic or an area: a short name for addresses, and a name per language."""

    slug = CleanStringField(
        _l("Short name (letters, digits and dashes)"),
        validators=[DataRequired(), Length(max=80), Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message=_l("Use lower-case letters, digits and dashes."))],
    )

    @classmethod
    def with_languages(cls):
        class Form(cls):
            pass

        for code, name in language_choices():
            setattr(Form, f"name_{code}", CleanStringField(name, validators=[Optional(), Length(max=120)]))
        return Form

    def names(self) -> dict[str, str]:
        return {code: getattr(self, f"name_{code}").data or "" for code, _n in language_choices()}


# ---- answering: fields built from the consultation's questions -------------------------------


class RankingField(Field):
    """Each option gets a position (select ``<name>-<option id>``); data is ids in order."""

    def __init__(self, label=None, validators=None, option_ids=(), **kwargs):
        super().__init__(label, validators, **kwargs)
        self.option_ids = list(option_ids)
        self.positions: dict[int, int | None] = {}

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.positions = {}
        if formdata is not None and any(f"{self.name}-{oid}" in formdata for oid in self.option_ids):
            for oid in self.option_ids:
                raw = formdata.get(f"{self.name}-{oid}", "")
                try:
                    self.positions[oid] = int(raw)
                except (TypeError, ValueError):
                    self.positions[oid] = None
            self.raw_data = ["submitted"]
            if all(self.positions.values()):
                ordered = sorted(self.option_ids, key=lambda o: (self.positions[o], o))
                positions = sorted(self.positions.values())
                self.data = ordered if positions == list(range(1, len(self.option_ids) + 1)) else ordered + [-1]
            else:
                self.data = [-1] if any(self.positions.values()) else None
        else:
            self.raw_data = []
            self.data = data if data not in (None, ()) else None
            if self.data:
                self.positions = {oid: i for i, oid in enumerate(self.data, start=1)}


def answer_form(questions, locale: str, default_locale: str, answers: dict, formdata=None):
    """A form with one field per question (``q_<id>``), filled with the person's answers."""
    from wtforms import TextAreaField

    class AnswerForm(FlaskForm):
        pass

    defaults = {}
    for q in questions:
        name = f"q_{q.id}"
        label = q.prompt_for(locale, default_locale).text
        choices = [(o.id, o.label_for(locale, default_locale).text) for o in q.options]
        previous = answers.get(q.id)
        if q.kind in (QuestionKind.SINGLE, QuestionKind.SCALE):
            field = RadioField(label, choices=choices, coerce=int, validators=[Optional()])
            defaults[name] = previous.option_ids[0] if previous and previous.option_ids else None
        elif q.kind == QuestionKind.MULTIPLE:
            field = MultiCheckboxField(label, choices=choices, coerce=int, validators=[Optional()])
            defaults[name] = list(previous.option_ids) if previous else []
        elif q.kind == QuestionKind.RANKING:
            field = RankingField(label, option_ids=[o.id for o in q.options])
            defaults[name] = list(previous.option_ids) if previous else None
        else:
            field = TextAreaField(label, validators=[Optional()], render_kw={"maxlength": q.max_length})
            defaults[name] = previous.text if previous else ""
        setattr(AnswerForm, name, field)
    return AnswerForm(formdata=formdata, data=defaults) if formdata is not None else AnswerForm(data=defaults)


def submitted_values(form, questions) -> dict[int, object]:
    """{question id: value} for the questions the person filled in."""
    values: dict[int, object] = {}
    for q in questions:
        field = getattr(form, f"q_{q.id}")
        data = field.data
        if q.kind == QuestionKind.FREE_TEXT:
            if data and data.strip():
                values[q.id] = data
        elif q.kind == QuestionKind.MULTIPLE:
            if data:
                values[q.id] = list(data)
        elif q.kind == QuestionKind.RANKING:
            if data:
                values[q.id] = list(data)
        elif data not in (None, "", "None"):
            values[q.id] = data
    return values
