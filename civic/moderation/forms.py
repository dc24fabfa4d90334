"""Moderation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from civic.core.forms import CleanStringField, CleanTextAreaField
from civic.moderation.models import (
    APPEAL_MAX,
    DETAILS_MAX,
    PHRASE_MAX,
    QUEUE_ACTIONS,
    REASON_MAX,
    WARNING_MAX,
    CommunityRule,
    ContentKind,
    ModerationAction,
    PremoderationMode,
    ReportReason,
)
from civic.moderation.services import QUEUE_SORTS, SUSPENSION_DAYS


class ReportForm(FlaskForm):
    reason = RadioField(_l("Why do you report it?"), validators=[InputRequired(_l("Choose why you report it."))])
    details = CleanTextAreaField(
        _l("Details (required for “something else”)"), validators=[Optional(), Length(max=DETAILS_MAX)]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = ReportReason.choices()


class QueueFilterForm(FlaskForm):
    """Filters above the queue (GET, no CSRF needed)."""

    class Meta:
        csrf = False

    # Own ids: the action form on the same page has a "reason" field too.
    state = SelectField(_l("Entries"), validators=[Optional()], id="filter-state")
    reason = SelectField(_l("Reason reported"), validators=[Optional()], id="filter-reason")
    kind = SelectField(_l("Type of content"), validators=[Optional()], id="filter-kind")
    consultation = SelectField(_l("Consultation"), validators=[Optional()], id="filter-consultation")
    sort = SelectField(_l("Order"), validators=[Optional()], id="filter-sort")

    def __init__(self, *args, consultations=(), locale="en", **kwargs):
        super().__init__(*args, **kwargs)
        self.state.choices = [
            ("pending", _l("Waiting for a decision")),
            ("appealed", _l("Appeals to decide")),
            ("decided", _l("Decided")),
        ]
        self.reason.choices = [("", _l("Any reason"))] + ReportReason.choices()
        self.kind.choices = [("", _l("Any type"))] + ContentKind.choices()
        self.consultation.choices = [("", _l("Any consultation"))] + [
            (str(c.id), c.title_for(locale).text) for c in consultations
        ]
        labels = {
            "reports": _l("Most reported first, then oldest"),
            "oldest": _l("Oldest first"),
            "newest": _l("Newest first"),
        }
        self.sort.choices = [(s, labels[s]) for s in QUEUE_SORTS]


def _rule_choices():
    return [("", _l("Choose a rule"))] + CommunityRule.choices()


def _day_choices():
    from flask_babel import ngettext

    return [("", _l("Choose a length"))] + [
        (str(d), ngettext("%(num)s day", "%(num)s days", d)) for d in SUSPENSION_DAYS
    ]


class ActionForm(FlaskForm):
    """One action on the selected entries (bulk) or on one entry."""

    action = SelectField(_l("Action"), validators=[InputRequired(_l("Choose an action."))])
    reason = CleanTextAreaField(
        _l("Reason (required to hide, suspend or ban: the author, and readers of hidden content, see it)"),
        validators=[Optional(), Length(max=REASON_MAX)],
    )
    rule = SelectField(_l("Community rule broken (required to hide, suspend or ban)"), validators=[Optional()])
    message = CleanTextAreaField(
        _l("Warning sent to the author (required to warn)"), validators=[Optional(), Length(max=WARNING_MAX)]
    )
    days = SelectField(_l("Length of the suspension (required to suspend)"), validators=[Optional()])

    def __init__(self, *args, allow_accounts: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        actions = [a for a in QUEUE_ACTIONS if allow_accounts or a not in (ModerationAction.SUSPEND, ModerationAction.BAN)]
        labels = {
            ModerationAction.HIDE: _l("Hide (keeps its place with the reason)"),
            ModerationAction.RESTORE: _l("Restore hidden content"),
            ModerationAction.DISMISS: _l("Dismiss the reports"),
            ModerationAction.APPROVE: _l("Approve content awaiting moderation"),
            ModerationAction.WARN: _l("Warn the author"),
            ModerationAction.SUSPEND: _l("Suspend the author's account"),
            ModerationAction.BAN: _l("Ban the author's account"),
        }
        self.action.choices = [("", _l("Choose an action"))] + [(a.value, labels[a]) for a in actions]
        self.rule.choices = _rule_choices()
        self.days.choices = _day_choices()


class AppealForm(FlaskForm):
    text = CleanTextAreaField(
        _l("Why should the decision be reversed?"),
        validators=[InputRequired(_l("Say why the decision should be reversed.")), Length(max=APPEAL_MAX)],
    )


class AppealDecisionForm(FlaskForm):
    outcome = RadioField(
        _l("Your decision on the appeal (final)"),
        choices=[
            ("uphold", _l("Uphold the appeal: make the content visible again")),
            ("reject", _l("Reject the appeal: the content stays hidden")),
        ],
        validators=[InputRequired(_l("Choose to uphold or reject the appeal."))],
    )
    reason = CleanTextAreaField(
        _l("Reason (the author receives it)"),
        validators=[InputRequired(_l("Give the reason for your decision.")), Length(max=REASON_MAX)],
        id="appeal-reason",
    )


class PremoderationForm(FlaskForm):
    premoderation = RadioField(_l("Pre-moderation"), validators=[InputRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.premoderation.choices = PremoderationMode.choices()


class WordForm(FlaskForm):
    phrase = CleanStringField(
        _l("Word or phrase to watch"),
        validators=[InputRequired(_l("Type a word or a phrase.")), Length(max=PHRASE_MAX)],
    )


class SettingsForm(FlaskForm):
    report_threshold = IntegerField(
        _l("Reports after which content is held for review"),
        validators=[InputRequired(_l("Choose a number from 1 to 1000.")), NumberRange(min=1, max=1000)],
    )


class ConfirmForm(FlaskForm):
    """Only the CSRF token: buttons that act."""


class LogFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("Action"), validators=[Optional()])
    kind = SelectField(_l("Type of item"), validators=[Optional()])
    actor = IntegerField(_l("Number of the account that acted"), validators=[Optional(), NumberRange(min=1)])
    case = IntegerField(_l("Queue entry number"), validators=[Optional(), NumberRange(min=1)])
    since = DateField(_l("From (date)"), validators=[Optional()])
    until = DateField(_l("Until (date, included)"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [("", _l("Any action"))] + ModerationAction.choices()
        self.kind.choices = [("", _l("Any type"))] + [
            ("comment", _l("Comment")),
            ("proposal", _l("Proposal")),
            ("meeting", _l("Meeting description")),
            ("user", _l("Profile")),
            ("consultation", _l("Consultation (pre-moderation)")),
            ("word", _l("Watched word")),
            ("settings", _l("Settings")),
        ]
