"""Forms for proposals: writing one, answering it, the settings and the listing's filters."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, RadioField, SelectField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from civic.core.forms import CleanStringField, CleanTextAreaField
from civic.core.i18n import language_choices, text_direction
from civic.proposals.models import ALT_MAX, PLACE_MAX, TITLE_MAX, ProposalState


def _optional_int(value):
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _body_length(form, field):
    limit = int(current_app.config["PROPOSAL_BODY_MAX"])
    if field.data and len(field.data) > limit:
        raise ValidationError(
            _l("The description can be at most %(max)s characters long.", max=limit)
        )


class ProposalForm(FlaskForm):
    title = CleanStringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), Length(max=TITLE_MAX)],
    )
    body = CleanTextAreaField(_l("Your proposal"), validators=[_body_length])
    topic_id = SelectField(_l("Topic"), coerce=_optional_int, choices=[], validate_choice=False)
    area_id = SelectField(_l("Area"), coerce=_optional_int, choices=[], validate_choice=False)
    place = CleanStringField(_l("Place (optional)"), validators=[Optional(), Length(max=PLACE_MAX)])
    image = FileField(_l("Image (optional)"))
    image_alt = CleanStringField(
        _l("Description of the image"), validators=[Optional(), Length(max=ALT_MAX)]
    )
    remove_image = BooleanField(_l("Remove the current image"))
    language = SelectField(_l("Language of your text"), choices=[])

    def __init__(self, *args, topics=(), areas=(), locale="en", has_image=False, **kwargs):
        super().__init__(*args, **kwargs)
        from civic.core.templating import current_locale_code

        reader = current_locale_code()
        self.topic_id.choices = [("", _l("Choose a topic"))] + [
            (t.id, t.name_for(reader).text) for t in topics
        ]
        self.area_id.choices = [("", _l("Choose an area"))] + [
            (a.id, a.name_for(reader).text) for a in areas
        ]
        self.language.choices = language_choices()
        if not self.language.data:
            self.language.data = locale
        self._has_image = has_image

    def validate_topic_id(self, field):
        valid = {value for value, _label in field.choices if value != ""}
        if field.data is not None and field.data not in valid:
            raise ValidationError(_l("Choose one of the topics offered."))

    def validate_area_id(self, field):
        valid = {value for value, _label in field.choices if value != ""}
        if field.data is not None and field.data not in valid:
            raise ValidationError(_l("Choose one of the areas offered."))

    def validate_language(self, field):
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages offered."))

    def validate_image_alt(self, field):
        uploading = bool(getattr(self.image.data, "filename", None))
        keeping = self._has_image and not self.remove_image.data
        if (uploading or keeping) and not (field.data or "").strip():
            raise ValidationError(_l("Describe the image for people who cannot see it."))

    def require_complete(self) -> bool:
        """Publishing needs a description, and a topic and an area when the city has any."""
        ok = True
        if not (self.body.data or "").strip():
            self.body.errors = [*self.body.errors, _l("Describe your proposal.")]
            ok = False
        if self.topic_id.data is None and len(self.topic_id.choices) > 1:
            self.topic_id.errors = [*self.topic_id.errors, _l("Choose the topic of your proposal.")]
            ok = False
        if self.area_id.data is None and len(self.area_id.choices) > 1:
            self.area_id.errors = [*self.area_id.errors, _l("Choose the area your proposal is about.")]
            ok = False
        return ok


def answer_form(proposal, choices, formdata=None):
    """The state to move to and a public text per language (at least one)."""

    class AnswerForm(FlaskForm):
        state = RadioField(
            _l("New state"),
            choices=[(s.value, s.label) for s in choices],
            validators=[InputRequired(_l("Choose the new state."))],
        )

    for code, name in language_choices():
        setattr(
            AnswerForm,
            f"text_{code}",
            CleanTextAreaField(
                _l("Public answer in %(language)s", language=name),
                validators=[Optional(), Length(max=5000)],
                render_kw={"lang": code.replace("_", "-"), "dir": text_direction(code)},
            ),
        )
    form = AnswerForm() if formdata is None else AnswerForm(formdata=formdata)
    form.text_fields = [getattr(form, f"text_{code}") for code, _name in language_choices()]
    return form


class SettingsForm(FlaskForm):
    accepts_proposals = BooleanField(_l("Residents may submit proposals while the consultation is open"))
    verified_only = BooleanField(_l("Only residents verified by the city may support proposals"))
    max_supports = IntegerField(
        _l("Supports per person (optional)"),
        validators=[Optional(), NumberRange(min=1, max=10_000)],
    )
    support_threshold = IntegerField(
        _l("Supports needed for an official answer (optional)"),
        validators=[Optional(), NumberRange(min=1, max=10_000_000)],
    )


class FilterForm(FlaskForm):
    """The listing's filters: a GET form (no CSRF token needed)."""

    class Meta:
        csrf = False

    q = CleanStringField(_l("Search words"), validators=[Optional(), Length(max=200)])
    state = SelectField(_l("State"), choices=[], validate_choice=False)
    topic = SelectField(_l("Topic"), choices=[], validate_choice=False)
    area = SelectField(_l("Area"), choices=[], validate_choice=False)
    sort = SelectField(_l("Order"), choices=[], validate_choice=False)
    mine = BooleanField(_l("Only my proposals"))
    supported = BooleanField(_l("Only proposals I support"))

    def __init__(self, *args, topics=(), areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        from civic.core.templating import current_locale_code

        reader = current_locale_code()
        self.state.choices = [("", _l("Any state"))] + [
            (s.value, s.label) for s in ProposalState if s != ProposalState.DRAFT
        ]
        self.topic.choices = [("", _l("Any topic"))] + [
            (str(t.id), t.name_for(reader).text) for t in topics
        ]
        self.area.choices = [("", _l("Any area"))] + [(str(a.id), a.name_for(reader).text) for a in areas]
        self.sort.choices = [
            ("random", _l("Random order")),
            ("supported", _l("Most supported")),
            ("newest", _l("Newest")),
            ("commented", _l("Most commented")),
        ]


class EmptyForm(FlaskForm):
    """Only the CSRF token: buttons that confirm an action."""
