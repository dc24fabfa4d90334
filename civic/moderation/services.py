"""Business rules of moderation. Every function takes an explicit ``actor``, flushes but never
commits (the view commits once), and raises ``civic.core.errors`` exceptions.

The other capabilities call ``screen_new_content(item)`` right after creating a comment or
publishing a proposal: it holds the item (pre-moderation of its consultation, or a watched
word) and opens a queue entry. The caller counts the item as published (and notifies) only
when it stays visible. Listings of proposals show only ``moderation_state == visible`` ones.

Every action and decision is written to the append-only ``ModerationLogEntry``.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, or_, select, text, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from civic.accounts.models import AccountStatus, Role, User
from civic.core import jobs
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.core.permissions import is_moderator, is_signed_in
from civic.core.sanitize import clean_input
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation import permissions
from civic.moderation.models import (
    APPEAL_MAX,
    DECIDED_STATES,
    DECISION_ACTIONS,
    DETAILS_MAX,
    KIND_COLUMNS,
    OPEN_STATES,
    PHRASE_MAX,
    QUEUE_ACTIONS,
    REASON_MAX,
    WARNING_MAX,
    AppealState,
    CaseOrigin,
    CaseState,
    CommunityRule,
    ConsultationModeration,
    ModerationAction,
    ModerationAppeal,
    ModerationCase,
    ModerationLogEntry,
    ModerationReport,
    ModerationSettings,
    ModerationWord,
    PremoderationMode,
    ReportReason,
)
from civic.moderation.scope import scope_of
from civic.moderation.states import ModerationState
from civic.moderation.text import matches, normalize_phrase

NOTIFY_QUEUE_JOB = "civic.moderation.notify.queue_entry"
NOTIFY_APPEAL_JOB = "civic.moderation.notify.appeal_filed"
COMMENT_DELIVER_JOB = "civic.comments.notify.deliver"

#: Suspension lengths offered in the queue (days).
SUSPENSION_DAYS = (1, 3, 7, 30, 90)
DEFAULT_THRESHOLD = 3


class SystemActor:
    """The automatic rules (reports threshold, pre-moderation, word list) acting as a moderator."""

    id = None
    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_admin = False
    is_moderator = True
    role = Role.MODERATOR
    status = AccountStatus.ACTIVE
    department_ids: frozenset[int] = frozenset()
    memberships: list = []
    display_name = ""


SYSTEM = SystemActor()


# ---- helpers ------------------------------------------------------------------------------


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(model):
    if _dialect() == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def _clean(value: str | None) -> str:
    return clean_input(value or "").strip()


def _required_text(value: str | None, field: str, message: str, limit: int) -> str:
    cleaned = _clean(value)
    if not cleaned:
        raise InvalidInput(message, field=field)
    if len(cleaned) > limit:
        raise InvalidInput(
            _("Shorten this text to %(max)s characters or fewer.", max=limit), field=field
        )
    return cleaned


def item_model(kind: str):
    if kind == "comment":
        from civic.comments.models import Comment

        return Comment
    if kind == "proposal":
        from civic.proposals.models import Proposal

        return Proposal
    if kind == "meeting":
        from civic.meetings.models import Meeting

        return Meeting
    if kind == "user":
        return User
    raise NotFound()


def get_item(kind: str, item_id: int):
    if kind not in KIND_COLUMNS:
        raise NotFound()
    found = db.session.get(item_model(kind), item_id)
    if found is None:
        raise NotFound()
    return found


def item_of(case: ModerationCase):
    return get_item(case.kind, case.item_id)


def get_case(case_id: int) -> ModerationCase:
    found = db.session.execute(
        select(ModerationCase)
        .where(ModerationCase.id == case_id)
        .options(joinedload(ModerationCase.appeal), joinedload(ModerationCase.author))
    ).unique().scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


def _lock_case(case: ModerationCase) -> ModerationCase:
    """Re-read the case under a row lock (PostgreSQL), so two moderators never both decide."""
    found = db.session.execute(
        select(ModerationCase)
        .where(ModerationCase.id == case.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    return found


# ---- the audit log --------------------------------------------------------------------------


def log(
    actor,
    action: ModerationAction,
    *,
    kind: str = "",
    item_id: int | None = None,
    case: ModerationCase | None = None,
    reason: str = "",
    **details: Any,
) -> ModerationLogEntry:
    """Append one line to the audit log (the only way entries are written)."""
    if case is not None and not kind:
        kind, item_id = case.kind, case.item_id
    entry = ModerationLogEntry(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=(getattr(actor, "display_name", "") or "")[:80],
        action=action,
        item_kind=kind,
        item_id=item_id,
        case_id=case.id if case is not None else None,
        reason=reason or "",
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# ---- settings -------------------------------------------------------------------------------


def report_threshold() -> int:
    row = db.session.get(ModerationSettings, 1)
    if row is not None:
        return row.report_threshold
    return int(current_app.config.get("MODERATION_REPORT_THRESHOLD", DEFAULT_THRESHOLD))


def update_settings(actor, *, report_threshold_value: int) -> ModerationSettings:
    if not permissions.can_manage_settings(actor):
        raise PermissionDenied()
    try:
        value = int(report_threshold_value)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 1000:
        raise InvalidInput(_("Choose a number from 1 to 1000."), field="report_threshold")
    before = report_threshold()
    row = db.session.get(ModerationSettings, 1)
    if row is None:
        row = ModerationSettings(id=1, report_threshold=value, updated_by_id=actor.id)
        db.session.add(row)
    else:
        row.report_threshold = value
        row.updated_by_id = actor.id
        row.updated_at = utcnow()
    db.session.flush()
    if before != value:
        log(actor, ModerationAction.SETTINGS_CHANGED, kind="settings", report_threshold=[before, value])
    return row


# ---- pre-moderation -------------------------------------------------------------------------


def premoderation_of(consultation_id: int | None) -> PremoderationMode:
    if consultation_id is None:
        return PremoderationMode.OFF
    row = db.session.get(ConsultationModeration, consultation_id)
    return row.premoderation if row is not None else PremoderationMode.OFF


def premoderation_map(consultation_ids) -> dict[int, PremoderationMode]:
    ids = list(consultation_ids)
    if not ids:
        return {}
    found = dict(
        db.session.execute(
            select(ConsultationModeration.consultation_id, ConsultationModeration.premoderation).where(
                ConsultationModeration.consultation_id.in_(ids)
            )
        ).all()
    )
    return {i: found.get(i, PremoderationMode.OFF) for i in ids}


def set_premoderation(actor, consultation, mode) -> PremoderationMode:
    if not permissions.can_set_premoderation(actor, consultation):
        raise PermissionDenied()
    try:
        mode = PremoderationMode.coerce(mode)
    except ValueError:
        raise InvalidInput(_("Choose one of the options offered."), field="premoderation") from None
    before = premoderation_of(consultation.id)
    if before == mode:
        return mode
    db.session.execute(
        _insert(ConsultationModeration)
        .values(consultation_id=consultation.id, premoderation=PremoderationMode.OFF, updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=["consultation_id"])
    )
    db.session.execute(
        update(ConsultationModeration)
        .where(ConsultationModeration.consultation_id == consultation.id)
        .values(premoderation=mode, updated_at=utcnow(), updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    row = db.session.identity_map.get(db.session.identity_key(ConsultationModeration, consultation.id))
    if row is not None:
        db.session.expire(row)
    log(
        actor,
        ModerationAction.PREMODERATION_CHANGED,
        kind="consultation",
        item_id=consultation.id,
        premoderation=[before.value, mode.value],
    )
    return mode


def premoderation_consultations_query(user) -> Select:
    """The consultations whose pre-moderation ``user`` may set, newest first."""
    from civic.consultations.models import Consultation

    stmt = select(Consultation).order_by(Consultation.created_at.desc(), Consultation.id.desc())
    if not is_moderator(user):
        stmt = stmt.where(Consultation.department_id.in_(sorted(user.department_ids) or [-1]))
    return stmt


# ---- the word list --------------------------------------------------------------------------


def words_query() -> Select:
    return select(ModerationWord).order_by(ModerationWord.normalized, ModerationWord.id)


def watched_phrases() -> list[str]:
    return list(db.session.execute(select(ModerationWord.normalized)).scalars())


def add_word(actor, phrase: str | None) -> ModerationWord:
    if not permissions.can_manage_words(actor):
        raise PermissionDenied()
    typed = _clean(phrase)
    normalized = normalize_phrase(typed)
    if not normalized:
        raise InvalidInput(_("Type a word or a phrase."), field="phrase")
    if len(typed) > PHRASE_MAX:
        raise InvalidInput(
            _("Shorten this text to %(max)s characters or fewer.", max=PHRASE_MAX), field="phrase"
        )
    if not any(ch.isalnum() for ch in normalized):
        raise InvalidInput(_("A watched word needs at least one letter or digit."), field="phrase")
    # RETURNING tells whether a row was inserted (``rowcount`` is not reliable with it).
    inserted = db.session.execute(
        _insert(ModerationWord)
        .values(phrase=typed, normalized=normalized, created_at=utcnow(), created_by_id=actor.id)
        .on_conflict_do_nothing(index_elements=["normalized"])
        .returning(ModerationWord.id)
    ).scalar_one_or_none()
    if inserted is None:
        raise InvalidInput(_("This word is already on the list."), field="phrase")
    word = db.session.execute(
        select(ModerationWord).where(ModerationWord.normalized == normalized)
    ).scalar_one()
    log(actor, ModerationAction.WORD_ADDED, kind="word", item_id=word.id, reason=typed)
    return word


def remove_word(actor, word: ModerationWord) -> None:
    if not permissions.can_manage_words(actor):
        raise PermissionDenied()
    log(actor, ModerationAction.WORD_REMOVED, kind="word", item_id=word.id, reason=word.phrase)
    db.session.delete(word)
    db.session.flush()


# ---- the state of items -----------------------------------------------------------------------


def item_state(kind: str, item) -> ModerationState | None:
    """Visible, held or hidden; None for a comment its author deleted."""
    if kind == "comment":
        from civic.comments.models import CommentState

        return {
            CommentState.VISIBLE: ModerationState.VISIBLE,
            CommentState.HELD: ModerationState.HELD,
            CommentState.HIDDEN: ModerationState.HIDDEN,
        }.get(item.state)
    if kind in ("proposal", "meeting"):
        return item.moderation_state
    return ModerationState.VISIBLE


def _count_published(proposal, sign: int) -> None:
    """Keep the consultation's stored count of listed proposals exact."""
    from civic.proposals.models import ProposalSettings, ProposalState

    if proposal.state == ProposalState.DRAFT:
        return
    db.session.execute(
        update(ProposalSettings)
        .where(ProposalSettings.consultation_id == proposal.consultation_id)
        .values(published_count=ProposalSettings.published_count + sign)
        .execution_options(synchronize_session=False)
    )
    row = db.session.identity_map.get(db.session.identity_key(ProposalSettings, proposal.consultation_id))
    if row is not None:
        db.session.expire(row, ["published_count"])


def _set_item_state(kind: str, item, new: ModerationState, actor, reason: str | None) -> None:
    """Move an item to ``new`` (through the comments' services for comments)."""
    if kind == "comment":
        from civic.comments import services as comments

        if new == ModerationState.HELD:
            comments.hold(item, actor, reason or _("Held for review."))
        elif new == ModerationState.HIDDEN:
            comments.hide(item, actor, reason)
        else:
            comments.restore(item, actor)
        return
    if kind in ("proposal", "meeting"):
        model = item_model(kind)
        was = db.session.execute(
            select(model.moderation_state).where(model.id == item.id).with_for_update()
        ).scalar_one()
        if was == new:
            return
        db.session.execute(
            update(model)
            .where(model.id == item.id)
            .values(moderation_state=new)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(item, ["moderation_state"])
        if kind == "proposal":
            if was == ModerationState.VISIBLE:
                _count_published(item, -1)
            elif new == ModerationState.VISIBLE:
                _count_published(item, +1)
        db.session.flush()
        return
    raise Conflict(_("A profile cannot be held or hidden; warn, suspend or ban its owner instead."))


# ---- opening queue entries --------------------------------------------------------------------


def _open_case(kind: str, item, origin: CaseOrigin) -> tuple[ModerationCase, bool]:
    """The item's open case (created when none is), locked; and whether it was created."""
    column = KIND_COLUMNS[kind]
    consultation_id, department_id = scope_of(kind, item)
    author_id = permissions.author_id_of(kind, item)
    now = utcnow()
    created = db.session.execute(
        _insert(ModerationCase)
        .values(
            {
                column: item.id,
                "consultation_id": consultation_id,
                "department_id": department_id,
                "author_id": author_id,
                "origin": origin,
                "state": CaseState.PENDING,
                "report_count": 0,
                "created_at": now,
            }
        )
        .on_conflict_do_nothing(
            index_elements=[column], index_where=text("state IN ('pending', 'appealed')")
        )
        .returning(ModerationCase.id)
    ).scalar_one_or_none()
    case = db.session.execute(
        select(ModerationCase)
        .where(getattr(ModerationCase, column) == item.id, ModerationCase.state.in_(OPEN_STATES))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    return case, created is not None


def initial_state_for(kind: str, consultation_id: int | None, text_value: str) -> tuple[ModerationState, CaseOrigin | None, list[str]]:
    """How a new comment or proposal starts: (state, why it is held, watched words found)."""
    if premoderation_of(consultation_id).holds(kind):
        return ModerationState.HELD, CaseOrigin.PREMODERATION, matches(text_value, watched_phrases())
    found = matches(text_value, watched_phrases())
    if found:
        return ModerationState.HELD, CaseOrigin.WORD_LIST, found
    return ModerationState.VISIBLE, None, []


def _text_of(kind: str, item) -> str:
    if kind == "comment":
        return item.body or ""
    if kind == "proposal":
        return " \n".join([item.title or "", item.body or "", item.place or ""])
    return ""


def screen_new_content(item) -> bool:
    """Hold a new comment or a just-published proposal when its consultation is pre-moderated
    or it contains a watched word; open its queue entry. Returns True when held.

    Comments: call after the comment is flushed and before counting it; it stays HELD (not
    counted, nobody notified) until a moderator approves it. Proposals: call after publishing;
    a held proposal is not counted in the consultation's ``published_count``.
    """
    from civic.comments.models import Comment, CommentState

    kind = "comment" if isinstance(item, Comment) else "proposal"
    consultation_id, _department_id = scope_of(kind, item)
    state, origin, found = initial_state_for(kind, consultation_id, _text_of(kind, item))
    if state == ModerationState.VISIBLE:
        return False
    if kind == "comment":
        item.state = CommentState.HELD
        item.moderated_at = utcnow()
        db.session.flush()
    else:
        # Just published and not counted yet: the caller skips ``published_count + 1``.
        from civic.proposals.models import Proposal

        db.session.execute(
            update(Proposal)
            .where(Proposal.id == item.id)
            .values(moderation_state=ModerationState.HELD)
            .execution_options(synchronize_session=False)
        )
        db.session.expire(item, ["moderation_state"])
    case, created = _open_case(kind, item, origin)
    log(SYSTEM, ModerationAction.HOLD, case=case, reason="", origin=origin.value, words=found or None)
    if created:
        jobs.enqueue(NOTIFY_QUEUE_JOB, case.id)
    return True


# ---- reporting ------------------------------------------------------------------------------


def already_reported(user, kind: str, item_id: int) -> bool:
    if not is_signed_in(user):
        return False
    column = getattr(ModerationReport, KIND_COLUMNS[kind])
    return db.session.execute(
        select(exists().where(ModerationReport.reporter_id == user.id, column == item_id))
    ).scalar_one()


def report(actor, kind: str, item, reason, details: str | None = None) -> ModerationReport:
    """``actor`` reports ``item`` (once). At the threshold the item is held pending review."""
    if not permissions.can_report(actor, kind, item):
        raise PermissionDenied(_("You cannot report this."))
    try:
        reason = ReportReason.coerce(reason)
    except ValueError:
        raise InvalidInput(_("Choose why you report it."), field="reason") from None
    text_value = _clean(details)
    if reason == ReportReason.OTHER and not text_value:
        raise InvalidInput(_("Say what the problem is."), field="details")
    if len(text_value) > DETAILS_MAX:
        raise InvalidInput(
            _("Shorten this text to %(max)s characters or fewer.", max=DETAILS_MAX), field="details"
        )
    if already_reported(actor, kind, item.id):
        raise Conflict(_("You have already reported this. The moderators will look at it."))
    column = KIND_COLUMNS[kind]
    case, created = _open_case(kind, item, CaseOrigin.REPORTS)
    now = utcnow()
    inserted = db.session.execute(
        _insert(ModerationReport)
        .values(
            {
                column: item.id,
                "case_id": case.id,
                "reporter_id": actor.id,
                "reason": reason,
                "details": text_value,
                "created_at": now,
            }
        )
        .on_conflict_do_nothing(index_elements=["reporter_id", column])
        .returning(ModerationReport.id)
    ).scalar_one_or_none()
    if inserted is None:
        raise Conflict(_("You have already reported this. The moderators will look at it."))
    count = db.session.execute(
        update(ModerationCase)
        .where(ModerationCase.id == case.id)
        .values(report_count=ModerationCase.report_count + 1, last_report_at=now)
        .returning(ModerationCase.report_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(case, ["report_count", "last_report_at"])
    found = db.session.get(ModerationReport, inserted)
    log(actor, ModerationAction.REPORT, case=case, reason=text_value, report_reason=reason.value)
    threshold = report_threshold()
    if kind != "user" and count >= threshold and item_state(kind, item) == ModerationState.VISIBLE:
        reason_text = _("Held automatically: reported %(count)s times.", count=count)
        _set_item_state(kind, item, ModerationState.HELD, SYSTEM, reason_text)
        log(SYSTEM, ModerationAction.HOLD, case=case, reason=reason_text, origin="reports", reports=count)
    if created:
        jobs.enqueue(NOTIFY_QUEUE_JOB, case.id)
    return found


# ---- decisions ------------------------------------------------------------------------------


@dataclass
class ActionInput:
    action: ModerationAction
    reason: str = ""
    rule: CommunityRule | None = None
    message: str = ""
    days: int | None = None


def clean_action(action, *, reason=None, rule=None, message=None, days=None) -> ActionInput:
    """Check the form's inputs for ``action`` once, before acting on any entry."""
    try:
        action = ModerationAction.coerce(action)
    except ValueError:
        action = None
    if action not in QUEUE_ACTIONS:
        raise InvalidInput(_("Choose an action."), field="action")
    data = ActionInput(action=action)
    cleaned_reason = _clean(reason)
    if len(cleaned_reason) > REASON_MAX:
        raise InvalidInput(
            _("Shorten this text to %(max)s characters or fewer.", max=REASON_MAX), field="reason"
        )
    data.reason = cleaned_reason
    if rule not in (None, ""):
        try:
            data.rule = CommunityRule.coerce(rule)
        except ValueError:
            raise InvalidInput(_("Choose one of the community rules."), field="rule") from None
    if action in (ModerationAction.HIDE, ModerationAction.SUSPEND, ModerationAction.BAN):
        if not data.reason:
            raise InvalidInput(
                _("Give the reason: the author and, for hidden content, the readers see it."),
                field="reason",
            )
        if data.rule is None:
            raise InvalidInput(_("Choose the community rule that was broken."), field="rule")
    if action == ModerationAction.WARN:
        data.message = _required_text(
            message, "message", _("Write the warning the author will receive."), WARNING_MAX
        )
    if action == ModerationAction.SUSPEND:
        try:
            data.days = int(days)
        except (TypeError, ValueError):
            data.days = None
        if data.days not in SUSPENSION_DAYS:
            raise InvalidInput(_("Choose how long the suspension lasts."), field="days")
    return data


def _decide(case: ModerationCase, actor, data: ActionInput, now: datetime) -> None:
    case.state = CaseState.DECIDED
    case.decision = data.action
    case.decision_reason = data.reason or None
    case.decision_rule = data.rule
    case.decided_by_id = actor.id
    case.decided_at = now


def _check(actor, case: ModerationCase, item, data: ActionInput) -> None:
    """Every precondition of one action on one entry, before anything is written."""
    action = data.action
    if not permissions.can_moderate_case(actor, case):
        if permissions.is_own(actor, case.author_id):
            raise PermissionDenied(_("You cannot moderate your own content or reports about you."))
        raise PermissionDenied(_("This is outside what you may moderate."))
    state = item_state(case.kind, item)
    if action in (ModerationAction.HIDE, ModerationAction.APPROVE, ModerationAction.DISMISS):
        if case.state != CaseState.PENDING:
            raise Conflict(_("This entry was already decided."))
    if action == ModerationAction.HIDE:
        if case.kind == "user":
            raise Conflict(_("A profile cannot be hidden; warn, suspend or ban its owner instead."))
        if state not in (ModerationState.VISIBLE, ModerationState.HELD):
            raise Conflict(_("This item can no longer be hidden (it is hidden or deleted)."))
    elif action == ModerationAction.APPROVE:
        if state != ModerationState.HELD:
            raise Conflict(_("Only content awaiting moderation can be approved."))
    elif action == ModerationAction.DISMISS:
        if case.report_count == 0:
            raise Conflict(_("There are no reports to dismiss; approve or hide it instead."))
    elif action == ModerationAction.RESTORE:
        if state != ModerationState.HIDDEN:
            raise Conflict(_("Only hidden content can be restored."))
        if case.state not in (CaseState.PENDING, CaseState.DECIDED):
            raise Conflict(_("This entry is under appeal or final; decide the appeal instead."))
    elif action in (ModerationAction.WARN, ModerationAction.SUSPEND, ModerationAction.BAN):
        if case.author_id is None:
            raise Conflict(_("This content has no author account any more."))
        if action != ModerationAction.WARN:
            if not permissions.can_act_on_account(actor, case):
                raise PermissionDenied(_("Only administrators can suspend or ban accounts."))
            target = db.session.get(User, case.author_id)
            if target is not None and target.is_admin:
                raise Conflict(_("Administrators cannot be suspended or banned from the queue."))
            if target is not None and target.status == AccountStatus.BANNED:
                raise Conflict(_("This account is already banned."))


def _notify_author(case: ModerationCase, actor, **params) -> None:
    if case.author_id is None:
        return
    from civic.moderation import notify as moderation_notify

    author = db.session.get(User, case.author_id)
    if author is not None:
        moderation_notify.decision(author, case, actor, **params)


def _apply(actor, case: ModerationCase, data: ActionInput) -> None:
    item = item_of(case)
    _check(actor, case, item, data)
    case = _lock_case(case)
    _check(actor, case, item, data)  # again under the lock: another moderator may have acted
    now = utcnow()
    action = data.action
    kind = case.kind
    if action == ModerationAction.HIDE:
        _set_item_state(kind, item, ModerationState.HIDDEN, actor, data.reason)
        _decide(case, actor, data, now)
        _notify_author(case, actor, action=action.value)
    elif action == ModerationAction.APPROVE:
        _set_item_state(kind, item, ModerationState.VISIBLE, actor, None)
        first_publication = case.origin != CaseOrigin.REPORTS
        _decide(case, actor, data, now)
        if kind == "comment" and first_publication:
            jobs.enqueue(COMMENT_DELIVER_JOB, item.id)
        _notify_author(case, actor, action=action.value)
    elif action == ModerationAction.DISMISS:
        if item_state(kind, item) == ModerationState.HELD:
            _set_item_state(kind, item, ModerationState.VISIBLE, actor, None)
        _decide(case, actor, data, now)
    elif action == ModerationAction.RESTORE:
        _set_item_state(kind, item, ModerationState.VISIBLE, actor, None)
        _decide(case, actor, data, now)
        _notify_author(case, actor, action=action.value)
    elif action == ModerationAction.WARN:
        if kind == "user" and case.state == CaseState.PENDING:
            _decide(case, actor, data, now)
        _notify_author(case, actor, action=action.value, message=data.message)
    elif action in (ModerationAction.SUSPEND, ModerationAction.BAN):
        from civic.accounts.services import set_status
        from civic.notifications.models import NotificationKind
        from civic.notifications.services import notify

        target = db.session.get(User, case.author_id)
        if action == ModerationAction.SUSPEND:
            until = now + timedelta(days=data.days)
            set_status(target, AccountStatus.SUSPENDED, actor, until=until)
            notify([target], NotificationKind.ACCOUNT_SECURITY, None, actor,
                   status="suspended", until=until.isoformat())
        else:
            set_status(target, AccountStatus.BANNED, actor)
            notify([target], NotificationKind.ACCOUNT_SECURITY, None, actor, status="banned")
        if kind == "user" and case.state == CaseState.PENDING:
            _decide(case, actor, data, now)
        _notify_author(case, actor, action=action.value, days=data.days)
    db.session.flush()
    log(
        actor,
        action,
        case=case,
        reason=data.message if action == ModerationAction.WARN else data.reason,
        rule=data.rule.value if data.rule else None,
        days=data.days,
        author_id=case.author_id,
    )


def act(actor, case: ModerationCase, action, **inputs) -> None:
    """One action on one queue entry."""
    _apply(actor, case, clean_action(action, **inputs))


@dataclass
class BulkResult:
    done: list[int] = field(default_factory=list)
    #: (case id, why it was left alone)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def act_bulk(actor, case_ids, action, **inputs) -> BulkResult:
    """The same action on a selection of entries; entries it cannot apply to are left alone
    (with the reason), the others are done."""
    data = clean_action(action, **inputs)
    ids = sorted({int(i) for i in case_ids})
    if not ids:
        raise InvalidInput(_("Select at least one entry."), field="case_ids")
    cases = {
        c.id: c
        for c in db.session.execute(select(ModerationCase).where(ModerationCase.id.in_(ids))).scalars()
    }
    result = BulkResult()
    for case_id in ids:
        case = cases.get(case_id)
        if case is None:
            result.skipped.append((case_id, _("This entry does not exist.")))
            continue
        try:
            _apply(actor, case, data)
        except (PermissionDenied, Conflict, NotFound) as exc:
            result.skipped.append((case_id, exc.message or _("This could not be done.")))
        else:
            result.done.append(case_id)
    return result


# ---- appeals --------------------------------------------------------------------------------


def appeal(actor, case: ModerationCase, text_value: str | None) -> ModerationAppeal:
    """The author appeals a decision, once. A different moderator decides."""
    if not permissions.can_appeal(actor, case):
        if permissions.is_own(actor, case.author_id) and case.state in (CaseState.APPEALED, CaseState.CLOSED):
            raise Conflict(_("You have already appealed this decision; an appeal is possible only once."))
        raise PermissionDenied(_("You cannot appeal this decision."))
    body = _required_text(text_value, "text", _("Say why the decision should be reversed."), APPEAL_MAX)
    case = _lock_case(case)
    if case.state != CaseState.DECIDED:
        raise Conflict(_("You have already appealed this decision; an appeal is possible only once."))
    inserted = db.session.execute(
        _insert(ModerationAppeal)
        .values(case_id=case.id, appellant_id=actor.id, text=body, state=AppealState.PENDING, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["case_id"])
        .returning(ModerationAppeal.id)
    ).scalar_one_or_none()
    if inserted is None:
        raise Conflict(_("You have already appealed this decision; an appeal is possible only once."))
    case.state = CaseState.APPEALED
    db.session.flush()
    found = db.session.get(ModerationAppeal, inserted)
    log(actor, ModerationAction.APPEAL, case=case, reason=body)
    jobs.enqueue(NOTIFY_APPEAL_JOB, case.id)
    return found


def decide_appeal(actor, case: ModerationCase, uphold: bool, reason: str | None) -> ModerationAppeal:
    """A second moderator (never the one who decided) upholds or rejects the appeal: final."""
    if case.state == CaseState.APPEALED and case.decided_by_id is not None and case.decided_by_id == getattr(actor, "id", None):
        raise PermissionDenied(_("A different moderator must decide the appeal against your own decision."))
    if not permissions.can_decide_appeal(actor, case):
        if case.state == CaseState.CLOSED:
            raise Conflict(_("This appeal was already decided; that decision is final."))
        raise PermissionDenied(_("You cannot decide this appeal."))
    body = _required_text(reason, "reason", _("Give the reason for your decision."), REASON_MAX)
    case = _lock_case(case)
    if case.state != CaseState.APPEALED:
        raise Conflict(_("This appeal was already decided; that decision is final."))
    found = db.session.execute(
        select(ModerationAppeal).where(ModerationAppeal.case_id == case.id).with_for_update()
    ).scalar_one()
    now = utcnow()
    if uphold:
        item = item_of(case)
        if item_state(case.kind, item) == ModerationState.HIDDEN:
            _set_item_state(case.kind, item, ModerationState.VISIBLE, actor, None)
    found.state = AppealState.UPHELD if uphold else AppealState.REJECTED
    found.decided_by_id = actor.id
    found.decided_at = now
    found.decision_reason = body
    case.state = CaseState.CLOSED
    db.session.flush()
    log(
        actor,
        ModerationAction.APPEAL_UPHELD if uphold else ModerationAction.APPEAL_REJECTED,
        case=case,
        reason=body,
        first_decision_by=case.decided_by_id,
    )
    from civic.moderation import notify as moderation_notify

    author = db.session.get(User, case.author_id) if case.author_id else None
    if author is not None:
        moderation_notify.appeal_decided(author, case, actor, upheld=uphold)
    return found


# ---- the queue ------------------------------------------------------------------------------

QUEUE_STATES = ("pending", "appealed", "decided")
#: Reports shown in full per entry (the others are counted by reason).
REPORTS_SHOWN = 5
#: Earlier versions of a comment shown per entry.
REVISIONS_SHOWN = 5
QUEUE_SORTS = ("reports", "oldest", "newest")


@dataclass
class QueueFilters:
    state: str = "pending"
    reason: ReportReason | None = None
    kind: str | None = None
    consultation_id: int | None = None
    sort: str = "reports"


def _scope_condition(user):
    conditions = [or_(ModerationCase.author_id.is_(None), ModerationCase.author_id != user.id)]
    if not is_moderator(user):
        conditions.append(ModerationCase.department_id.in_(sorted(user.department_ids) or [-1]))
    return conditions


def queue_query(user, filters: QueueFilters) -> Select:
    """The entries ``user`` may moderate, filtered and sorted (paginate it)."""
    stmt = select(ModerationCase).where(*_scope_condition(user))
    if filters.state == "appealed":
        stmt = stmt.where(
            ModerationCase.state == CaseState.APPEALED,
            or_(ModerationCase.decided_by_id.is_(None), ModerationCase.decided_by_id != user.id),
        )
    elif filters.state == "decided":
        stmt = stmt.where(ModerationCase.state.in_(DECIDED_STATES))
    else:
        stmt = stmt.where(ModerationCase.state == CaseState.PENDING)
    if filters.kind in KIND_COLUMNS:
        stmt = stmt.where(getattr(ModerationCase, KIND_COLUMNS[filters.kind]).is_not(None))
    if filters.consultation_id:
        stmt = stmt.where(ModerationCase.consultation_id == filters.consultation_id)
    if filters.reason is not None:
        stmt = stmt.where(
            exists().where(
                ModerationReport.case_id == ModerationCase.id, ModerationReport.reason == filters.reason
            )
        )
    if filters.state == "decided":
        return stmt.order_by(ModerationCase.decided_at.desc(), ModerationCase.id.desc())
    if filters.sort == "oldest":
        return stmt.order_by(ModerationCase.created_at, ModerationCase.id)
    if filters.sort == "newest":
        return stmt.order_by(ModerationCase.created_at.desc(), ModerationCase.id.desc())
    return stmt.order_by(
        ModerationCase.report_count.desc(), ModerationCase.created_at, ModerationCase.id
    )


def pending_count(user) -> int | None:
    """Entries waiting for ``user`` (header badge); None for people without a queue."""
    if not permissions.can_see_queue(user):
        return None
    return db.session.execute(
        select(func.count())
        .select_from(ModerationCase)
        .where(
            *_scope_condition(user),
            or_(
                ModerationCase.state == CaseState.PENDING,
                (ModerationCase.state == CaseState.APPEALED)
                & or_(ModerationCase.decided_by_id.is_(None), ModerationCase.decided_by_id != user.id),
            ),
        )
    ).scalar_one()


@dataclass
class QueueEntry:
    case: ModerationCase
    item: Any
    #: The latest reports (at most ``REPORTS_SHOWN``), newest first.
    reports: list[ModerationReport]
    #: (reason, number of reports) for all the entry's reports, most frequent first.
    reason_counts: list[tuple[ReportReason, int]]
    revisions: list
    history: dict[ModerationAction, int]
    consultation: Any = None

    @property
    def kind(self) -> str:
        return self.case.kind

    @property
    def state(self) -> ModerationState | None:
        return item_state(self.kind, self.item) if self.item is not None else None


def _by_id(model, ids, *options) -> dict[int, Any]:
    ids = sorted({i for i in ids if i is not None})
    if not ids:
        return {}
    stmt = select(model).where(model.id.in_(ids))
    if options:
        stmt = stmt.options(*options)
    return {o.id: o for o in db.session.execute(stmt).unique().scalars()}


def load_entries(cases: list[ModerationCase]) -> list[QueueEntry]:
    """Everything the queue shows for a page of entries, in a fixed number of queries."""
    from civic.comments.models import Comment, CommentRevision
    from civic.consultations.models import Consultation
    from civic.meetings.models import Meeting
    from civic.proposals.models import Proposal

    ids = [c.id for c in cases]
    if not ids:
        return []
    comments = _by_id(Comment, [c.comment_id for c in cases])
    proposals = _by_id(Proposal, [c.proposal_id for c in cases])
    meetings = _by_id(Meeting, [c.meeting_id for c in cases])
    author_ids = {c.author_id for c in cases} | {c.reported_user_id for c in cases}
    people = _by_id(User, author_ids)
    consultations = _by_id(Consultation, [c.consultation_id for c in cases])
    reason_counts: dict[int, list[tuple[ReportReason, int]]] = defaultdict(list)
    for case_id, reason, n in db.session.execute(
        select(ModerationReport.case_id, ModerationReport.reason, func.count())
        .where(ModerationReport.case_id.in_(ids))
        .group_by(ModerationReport.case_id, ModerationReport.reason)
    ):
        reason_counts[case_id].append((reason, n))
    ranked = (
        select(
            ModerationReport.id.label("id"),
            func.row_number()
            .over(
                partition_by=ModerationReport.case_id,
                order_by=(ModerationReport.created_at.desc(), ModerationReport.id.desc()),
            )
            .label("rank"),
        )
        .where(ModerationReport.case_id.in_(ids))
        .subquery()
    )
    reports: dict[int, list[ModerationReport]] = defaultdict(list)
    for r in db.session.execute(
        select(ModerationReport)
        .join(ranked, ranked.c.id == ModerationReport.id)
        .where(ranked.c.rank <= REPORTS_SHOWN)
        .options(joinedload(ModerationReport.reporter))
        .order_by(ModerationReport.created_at.desc(), ModerationReport.id.desc())
    ).unique().scalars():
        reports[r.case_id].append(r)
    revisions: dict[int, list] = defaultdict(list)
    comment_ids = [c.comment_id for c in cases if c.comment_id is not None]
    if comment_ids:
        ranked_revisions = (
            select(
                CommentRevision.id.label("id"),
                func.row_number()
                .over(
                    partition_by=CommentRevision.comment_id,
                    order_by=(CommentRevision.replaced_at.desc(), CommentRevision.id.desc()),
                )
                .label("rank"),
            )
            .where(CommentRevision.comment_id.in_(comment_ids))
            .subquery()
        )
        for rev in db.session.execute(
            select(CommentRevision)
            .join(ranked_revisions, ranked_revisions.c.id == CommentRevision.id)
            .where(ranked_revisions.c.rank <= REVISIONS_SHOWN)
            .order_by(CommentRevision.replaced_at.desc(), CommentRevision.id.desc())
        ).scalars():
            revisions[rev.comment_id].append(rev)
    history = author_history([c.author_id for c in cases])
    appeals = {
        a.case_id: a
        for a in db.session.execute(select(ModerationAppeal).where(ModerationAppeal.case_id.in_(ids))).scalars()
    }
    entries = []
    for c in cases:
        kind = c.kind
        item = {
            "comment": comments.get(c.comment_id),
            "proposal": proposals.get(c.proposal_id),
            "meeting": meetings.get(c.meeting_id),
            "user": people.get(c.reported_user_id),
        }[kind]
        set_committed_value(c, "appeal", appeals.get(c.id))
        set_committed_value(c, "author", people.get(c.author_id))
        entries.append(
            QueueEntry(
                case=c,
                item=item,
                reports=reports.get(c.id, []),
                reason_counts=sorted(reason_counts.get(c.id, []), key=lambda kv: (-kv[1], kv[0].value)),
                revisions=revisions.get(c.comment_id, []) if kind == "comment" else [],
                history=history.get(c.author_id, {}) if c.author_id else {},
                consultation=consultations.get(c.consultation_id),
            )
        )
    return entries


def author_history(author_ids) -> dict[int, dict[ModerationAction, int]]:
    """Earlier decisions about each author's content or account (one query)."""
    ids = sorted({i for i in author_ids if i is not None})
    if not ids:
        return {}
    out: dict[int, dict[ModerationAction, int]] = defaultdict(dict)
    rows = db.session.execute(
        select(ModerationLogEntry.details, ModerationLogEntry.action)
        .where(
            ModerationLogEntry.action.in_(
                [ModerationAction.HIDE, ModerationAction.WARN, ModerationAction.SUSPEND, ModerationAction.BAN,
                 ModerationAction.DISMISS, ModerationAction.APPROVE, ModerationAction.RESTORE]
            ),
            ModerationLogEntry.case_id.in_(
                select(ModerationCase.id).where(ModerationCase.author_id.in_(ids))
            ),
        )
    ).all()
    for details, action in rows:
        author = (details or {}).get("author_id")
        if author in ids:
            out[author][action] = out[author].get(action, 0) + 1
    return out


def queue_consultations(user) -> list:
    """Consultations with entries in ``user``'s scope (for the filter)."""
    from civic.consultations.models import Consultation

    ids = select(ModerationCase.consultation_id).where(
        *_scope_condition(user), ModerationCase.consultation_id.is_not(None)
    ).distinct()
    return list(
        db.session.execute(
            select(Consultation).where(Consultation.id.in_(ids)).order_by(Consultation.id.desc()).limit(200)
        ).scalars()
    )


def case_detail(case: ModerationCase) -> QueueEntry:
    return load_entries([case])[0]


def case_log(case: ModerationCase) -> list[ModerationLogEntry]:
    return list(
        db.session.execute(
            select(ModerationLogEntry)
            .where(ModerationLogEntry.case_id == case.id)
            .order_by(ModerationLogEntry.created_at, ModerationLogEntry.id)
        ).scalars()
    )


def decisions_about(kind: str, item_id: int) -> ModerationCase | None:
    """The latest decision that hid the item (for its public note), or None."""
    column = getattr(ModerationCase, KIND_COLUMNS[kind])
    return db.session.execute(
        select(ModerationCase)
        .where(column == item_id, ModerationCase.decision == ModerationAction.HIDE)
        .order_by(ModerationCase.decided_at.desc(), ModerationCase.id.desc())
        .limit(1)
    ).scalar_one_or_none()


#: What the author of the content (or the owner of the profile) is told about, and sees on
#: their "decisions" pages. Reports and their dismissal are never shown to them.
AUTHOR_ACTIONS = (
    ModerationAction.HIDE,
    ModerationAction.RESTORE,
    ModerationAction.APPROVE,
    ModerationAction.WARN,
    ModerationAction.SUSPEND,
    ModerationAction.BAN,
    ModerationAction.APPEAL,
    ModerationAction.APPEAL_UPHELD,
    ModerationAction.APPEAL_REJECTED,
)


def _author_event_exists():
    return exists().where(
        ModerationLogEntry.case_id == ModerationCase.id,
        ModerationLogEntry.action.in_(AUTHOR_ACTIONS),
    )


def author_events(case: ModerationCase) -> list[ModerationLogEntry]:
    """What happened to the author's content or account in this entry, oldest first."""
    return list(
        db.session.execute(
            select(ModerationLogEntry)
            .where(ModerationLogEntry.case_id == case.id, ModerationLogEntry.action.in_(AUTHOR_ACTIONS))
            .order_by(ModerationLogEntry.created_at, ModerationLogEntry.id)
        ).scalars()
    )


def my_decisions_query(user) -> Select:
    """Entries in which something was decided about ``user``'s content or account."""
    return (
        select(ModerationCase)
        .where(ModerationCase.author_id == user.id, _author_event_exists())
        .options(joinedload(ModerationCase.appeal))
        .order_by(ModerationCase.created_at.desc(), ModerationCase.id.desc())
    )


def latest_author_events(case_ids) -> dict[int, ModerationLogEntry]:
    """The latest author-facing event of each entry (one query)."""
    ids = list(case_ids)
    if not ids:
        return {}
    ranked = (
        select(
            ModerationLogEntry.id.label("id"),
            func.row_number()
            .over(
                partition_by=ModerationLogEntry.case_id,
                order_by=(ModerationLogEntry.created_at.desc(), ModerationLogEntry.id.desc()),
            )
            .label("rank"),
        )
        .where(ModerationLogEntry.case_id.in_(ids), ModerationLogEntry.action.in_(AUTHOR_ACTIONS))
        .subquery()
    )
    return {
        e.case_id: e
        for e in db.session.execute(
            select(ModerationLogEntry).join(ranked, ranked.c.id == ModerationLogEntry.id).where(ranked.c.rank == 1)
        ).scalars()
    }


# ---- the audit log pages ----------------------------------------------------------------------


@dataclass
class LogFilters:
    action: ModerationAction | None = None
    kind: str | None = None
    actor_id: int | None = None
    case_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def log_query(filters: LogFilters) -> Select:
    stmt = select(ModerationLogEntry)
    if filters.action is not None:
        stmt = stmt.where(ModerationLogEntry.action == filters.action)
    if filters.kind:
        stmt = stmt.where(ModerationLogEntry.item_kind == filters.kind)
    if filters.actor_id:
        stmt = stmt.where(ModerationLogEntry.actor_id == filters.actor_id)
    if filters.case_id:
        stmt = stmt.where(ModerationLogEntry.case_id == filters.case_id)
    if filters.since is not None:
        stmt = stmt.where(ModerationLogEntry.created_at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(ModerationLogEntry.created_at < filters.until)
    return stmt.order_by(ModerationLogEntry.created_at.desc(), ModerationLogEntry.id.desc())


CSV_COLUMNS = ("id", "created_at", "actor_id", "actor_name", "action", "item_kind", "item_id", "case_id", "reason", "details")


def log_chunk(filters: LogFilters, after_id: int = 0, limit: int = 500) -> list[list]:
    """The next ``limit`` matching entries after ``after_id`` as CSV rows (oldest first).

    The export reads the log in such chunks (keyset pagination on the id), so any size of
    log streams with bounded memory.
    """
    import json

    stmt = (
        log_query(filters)
        .order_by(None)
        .where(ModerationLogEntry.id > after_id)
        .order_by(ModerationLogEntry.id)
        .limit(limit)
    )
    return [
        [
            entry.id,
            entry.created_at.isoformat(),
            entry.actor_id if entry.actor_id is not None else "",
            entry.actor_name,
            entry.action.value,
            entry.item_kind,
            entry.item_id if entry.item_id is not None else "",
            entry.case_id if entry.case_id is not None else "",
            entry.reason,
            json.dumps(entry.details or {}, ensure_ascii=False, sort_keys=True),
        ]
        for entry in db.session.execute(stmt).scalars()
    ]


# ---- the transparency report --------------------------------------------------------------------


def month_bounds(year: int, month: int, zone: str) -> tuple[datetime, datetime]:
    """The month in the city's time zone, as UTC instants [start, end)."""
    tz = ZoneInfo(zone)
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


@dataclass
class MonthReport:
    year: int
    month: int
    reports_by_reason: dict[ReportReason, int]
    actions_by_type: dict[ModerationAction, int]
    appeals_decided: int
    appeals_upheld: int
    decided_reports: int
    median_hours: float | None

    @property
    def reports_total(self) -> int:
        return sum(self.reports_by_reason.values())

    @property
    def actions_total(self) -> int:
        return sum(self.actions_by_type.values())

    @property
    def upheld_share(self) -> float | None:
        if not self.appeals_decided:
            return None
        return self.appeals_upheld / self.appeals_decided


def transparency(year: int, month: int, zone: str) -> MonthReport:
    """Counts for one month (no personal data): reports by reason, actions by type, appeals
    upheld, and the median time from a report to the decision on it."""
    start, end = month_bounds(year, month, zone)
    by_reason = dict.fromkeys(ReportReason, 0)
    for reason, n in db.session.execute(
        select(ModerationReport.reason, func.count())
        .where(ModerationReport.created_at >= start, ModerationReport.created_at < end)
        .group_by(ModerationReport.reason)
    ):
        by_reason[reason] = n
    by_action = dict.fromkeys(DECISION_ACTIONS, 0)
    for action, n in db.session.execute(
        select(ModerationLogEntry.action, func.count())
        .where(
            ModerationLogEntry.action.in_(DECISION_ACTIONS),
            ModerationLogEntry.created_at >= start,
            ModerationLogEntry.created_at < end,
        )
        .group_by(ModerationLogEntry.action)
    ):
        by_action[action] = n
    appeals = dict(
        db.session.execute(
            select(ModerationAppeal.state, func.count())
            .where(
                ModerationAppeal.decided_at >= start,
                ModerationAppeal.decided_at < end,
                ModerationAppeal.state != AppealState.PENDING,
            )
            .group_by(ModerationAppeal.state)
        ).all()
    )
    # The month's decided reports: one row each, two timestamps (bounded by the month).
    durations = [
        (decided - reported).total_seconds()
        for reported, decided in db.session.execute(
            select(ModerationReport.created_at, ModerationCase.decided_at)
            .join(ModerationCase, ModerationCase.id == ModerationReport.case_id)
            .where(ModerationCase.decided_at >= start, ModerationCase.decided_at < end)
        )
    ]
    median = statistics.median(durations) / 3600 if durations else None
    return MonthReport(
        year=year,
        month=month,
        reports_by_reason=by_reason,
        actions_by_type=by_action,
        appeals_decided=sum(appeals.values()),
        appeals_upheld=appeals.get(AppealState.UPHELD, 0),
        decided_reports=len(durations),
        median_hours=median,
    )
