"""Business rules for proposals. Services take an explicit ``actor``, flush, never commit.

Counters are exact under concurrency (PostgreSQL, READ COMMITTED):

* one support per person and proposal: a unique constraint, ``INSERT … ON CONFLICT DO
  NOTHING``, and ``support_count + 1`` only when a row was really inserted (``- 1`` only
  when one was really deleted);
* the per-person budget: ``UPDATE proposal_support_budget SET used = used + 1 WHERE used <
  :max`` locks that person's counter row, so two requests cannot both spend the last support;
* locks are always taken in the same order (the proposal row, then the budget row), so
  supports, withdrawals and answers never deadlock each other.

When a service raises a ``DomainError`` after writing, the caller rolls the transaction back.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    Select,
    and_,
    case,
    cast,
    delete,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import joinedload, selectinload

from civic.accounts.models import User
from civic.audit.models import AuditAction
from civic.audit.services import audit
from civic.consultations.models import Area, Consultation, ConsultationState, Topic
from civic.core import jobs
from civic.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from civic.core.time import utcnow
from civic.extensions import db
from civic.moderation.states import ModerationState
from civic.proposals import images, permissions
from civic.proposals.models import (
    PUBLIC_STATES,
    SUPPORTABLE_STATES,
    TITLE_MAX,
    Proposal,
    ProposalAnswer,
    ProposalAnswerText,
    ProposalSettings,
    ProposalState,
    Support,
    SupportBudget,
    search_vector_sql,
)

IMAGE_REMOVE_JOB = "civic.proposals.images.remove"


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(table):
    """The dialect's Core INSERT for ``table`` (it has ``on_conflict_do_nothing``)."""
    dialect = _dialect()
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - Civic runs on PostgreSQL and SQLite
        raise RuntimeError(f"unsupported database {dialect}")
    return insert(table)


# ---- loading ----------------------------------------------------------------------------------


def get_proposal(proposal_id: int, *, answers: bool = False) -> Proposal:
    """One proposal with its consultation, author, topic and area (``NotFound`` if none)."""
    stmt = (
        select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            joinedload(Proposal.consultation),
            joinedload(Proposal.author),
            joinedload(Proposal.topic),
            joinedload(Proposal.area),
        )
    )
    if answers:
        stmt = stmt.options(selectinload(Proposal.answers))
    found = db.session.execute(stmt).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_("This proposal does not exist."))
    return found


def get_consultation(consultation_id: int) -> Consultation:
    found = db.session.execute(
        select(Consultation).where(Consultation.id == consultation_id)
    ).unique().scalar_one_or_none()
    if found is None:
        raise NotFound(_("This consultation does not exist."))
    return found


def _default_settings(consultation_id: int) -> ProposalSettings:
    """Settings with the defaults, not added to the session (reading never writes)."""
    return ProposalSettings(
        consultation_id=consultation_id,
        accepts_proposals=False,
        verified_only=False,
        max_supports=None,
        support_threshold=None,
        published_count=0,
    )


def settings_map(consultation_ids) -> dict[int, ProposalSettings]:
    """Settings of many consultations in one query (defaults for those without a row)."""
    ids = sorted(set(consultation_ids))
    found: dict[int, ProposalSettings] = {}
    if ids:
        found = {
            s.consultation_id: s
            for s in db.session.execute(
                select(ProposalSettings).where(ProposalSettings.consultation_id.in_(ids))
            ).scalars()
        }
    return {i: found.get(i) or _default_settings(i) for i in ids}


def settings_for(consultation_id: int) -> ProposalSettings:
    return settings_map([consultation_id])[consultation_id]


def _ensure_settings(consultation_id: int) -> None:
    """Create the settings row with its defaults the first time something is written."""
    db.session.execute(
        _insert(ProposalSettings.__table__)
        .values(
            consultation_id=consultation_id,
            accepts_proposals=False,
            verified_only=False,
            published_count=0,
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["consultation_id"])
    )


def update_settings(
    actor,
    consultation: Consultation,
    *,
    accepts_proposals: bool,
    verified_only: bool,
    max_supports: int | None,
    support_threshold: int | None,
) -> ProposalSettings:
    if not permissions.can_manage_settings(actor, consultation):
        raise PermissionDenied(_("You may not do this."))
    if max_supports is not None and max_supports < 1:
        raise InvalidInput(_("Enter a number of at least 1, or leave it empty."), field="max_supports")
    if support_threshold is not None and support_threshold < 1:
        raise InvalidInput(
            _("Enter a number of at least 1, or leave it empty."), field="support_threshold"
        )
    _ensure_settings(consultation.id)
    row = db.session.get(ProposalSettings, consultation.id, populate_existing=True)
    row.accepts_proposals = accepts_proposals
    row.verified_only = verified_only
    row.max_supports = max_supports
    row.support_threshold = support_threshold
    db.session.flush()
    return row


# ---- writing a proposal -----------------------------------------------------------------------


@dataclass
class ProposalInput:
    title: str
    body: str
    language: str
    topic_id: int | None = None
    area_id: int | None = None
    place: str = ""
    image_alt: str = ""


def body_max() -> int:
    return int(current_app.config["PROPOSAL_BODY_MAX"])


def _check_input(data: ProposalInput, *, publishing: bool, has_image: bool) -> None:
    """Raise ``InvalidInput`` for the first broken rule (drafts may be unfinished)."""
    title = (data.title or "").strip()
    if not title:
        raise InvalidInput(_("Enter a title."), field="title")
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            _("The title can be at most %(max)s characters long.", max=TITLE_MAX), field="title"
        )
    if len(data.body or "") > body_max():
        raise InvalidInput(
            _("The description can be at most %(max)s characters long.", max=body_max()), field="body"
        )
    if data.language not in current_app.config["LANGUAGES"]:
        raise InvalidInput(_("Choose one of the languages offered."), field="language")
    if data.topic_id is not None and db.session.get(Topic, data.topic_id) is None:
        raise InvalidInput(_("Choose one of the topics offered."), field="topic_id")
    if data.area_id is not None and db.session.get(Area, data.area_id) is None:
        raise InvalidInput(_("Choose one of the areas offered."), field="area_id")
    if has_image and not (data.image_alt or "").strip():
        raise InvalidInput(
            _("Describe the image for people who cannot see it."), field="image_alt"
        )
    if publishing:
        _check_complete(data)


def _check_complete(data: ProposalInput) -> None:
    if not (data.body or "").strip():
        raise InvalidInput(_("Describe your proposal."), field="body")
    if data.topic_id is None and db.session.execute(select(Topic.id).limit(1)).first():
        raise InvalidInput(_("Choose the topic of your proposal."), field="topic_id")
    if data.area_id is None and db.session.execute(select(Area.id).limit(1)).first():
        raise InvalidInput(_("Choose the area your proposal is about."), field="area_id")


def _apply(proposal: Proposal, data: ProposalInput) -> None:
    proposal.title = data.title.strip()
    proposal.body = (data.body or "").strip()
    proposal.language = data.language
    proposal.topic_id = data.topic_id
    proposal.area_id = data.area_id
    proposal.place = (data.place or "").strip()
    proposal.image_alt = (data.image_alt or "").strip() or None


def create_draft(
    actor,
    consultation: Consultation,
    settings: ProposalSettings,
    data: ProposalInput,
    image: images.CheckedImage | None = None,
) -> Proposal:
    """Save a new, unpublished proposal ("my drafts")."""
    if not permissions.can_submit(actor, consultation, settings):
        raise PermissionDenied(_("This consultation does not accept proposals now."))
    _check_input(data, publishing=False, has_image=image is not None)
    now = utcnow()
    proposal = Proposal(
        consultation_id=consultation.id,
        author_id=actor.id,
        state=ProposalState.DRAFT,
        created_at=now,
        updated_at=now,
        support_count=0,
        comment_count=0,
    )
    _apply(proposal, data)
    if image is not None:
        proposal.image_name = images.store(image)
        proposal.image_content_type = image.content_type
    db.session.add(proposal)
    db.session.flush()
    return proposal


def update_proposal(
    actor,
    proposal: Proposal,
    settings: ProposalSettings,
    data: ProposalInput,
    image: images.CheckedImage | None = None,
    remove_image: bool = False,
) -> Proposal:
    """Change a draft, or a published proposal nobody has supported or commented on yet."""
    if not permissions.can_edit(actor, proposal, settings):
        if proposal.state == ProposalState.PUBLISHED and not permissions.edit_window_open(proposal):
            raise Conflict(edit_closed_reason())
        raise PermissionDenied(_("You may not change this proposal."))
    keeps_image = (proposal.image_name is not None and not remove_image) or image is not None
    _check_input(
        data, publishing=proposal.state != ProposalState.DRAFT, has_image=keeps_image
    )
    old_image = proposal.image_name
    new_name = images.store(image) if image is not None else None
    values: dict = {
        "title": data.title.strip(),
        "body": (data.body or "").strip(),
        "language": data.language,
        "topic_id": data.topic_id,
        "area_id": data.area_id,
        "place": (data.place or "").strip(),
        "image_alt": (data.image_alt or "").strip() or None if keeps_image else None,
        "updated_at": utcnow(),
    }
    if new_name is not None:
        values["image_name"] = new_name
        values["image_content_type"] = image.content_type
    elif remove_image:
        values["image_name"] = None
        values["image_content_type"] = None
    stmt = update(Proposal).where(Proposal.id == proposal.id, Proposal.state == proposal.state)
    if proposal.state == ProposalState.PUBLISHED:
        # The first support or comment closes editing, even one arriving right now.
        stmt = stmt.where(Proposal.support_count == 0, Proposal.comment_count == 0)
    done = db.session.execute(stmt.values(**values).execution_options(synchronize_session=False)).rowcount
    if not done:
        if new_name:
            images.remove(new_name)
        raise Conflict(edit_closed_reason())
    db.session.expire(proposal)
    if old_image and (new_name is not None or remove_image):
        jobs.enqueue(IMAGE_REMOVE_JOB, old_image)
    db.session.flush()
    return proposal


def edit_closed_reason() -> str:
    return _(
        "This proposal can no longer be changed: people have supported it or commented on it, "
        "and they must be able to rely on what it says. You can still withdraw it."
    )


def publish(actor, proposal: Proposal, settings: ProposalSettings) -> Proposal:
    """Make a draft public (once: a second click changes nothing)."""
    if not permissions.can_publish(actor, proposal, settings):
        raise PermissionDenied(_("This proposal cannot be published now."))
    _check_complete(
        ProposalInput(
            title=proposal.title,
            body=proposal.body,
            language=proposal.language,
            topic_id=proposal.topic_id,
            area_id=proposal.area_id,
        )
    )
    if proposal.image_name and not proposal.image_alt:
        raise InvalidInput(_("Describe the image for people who cannot see it."), field="image_alt")
    now = utcnow()
    done = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == ProposalState.DRAFT)
        .values(state=ProposalState.PUBLISHED, published_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        _ensure_settings(proposal.consultation_id)
        from civic.moderation.services import screen_new_content

        # Pre-moderation or a watched word holds it: not listed, not counted until approved.
        if not screen_new_content(proposal):
            db.session.execute(
                update(ProposalSettings)
                .where(ProposalSettings.consultation_id == proposal.consultation_id)
                .values(published_count=ProposalSettings.published_count + 1)
                .execution_options(synchronize_session=False)
            )
    db.session.expire(proposal)
    db.session.flush()
    return proposal


def delete_draft(actor, proposal: Proposal) -> None:
    if not permissions.can_delete_draft(actor, proposal):
        raise PermissionDenied(_("Only unpublished drafts can be deleted."))
    image = proposal.image_name
    db.session.execute(
        delete(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == ProposalState.DRAFT)
        .execution_options(synchronize_session=False)
    )
    db.session.expunge(proposal)
    if image:
        jobs.enqueue(IMAGE_REMOVE_JOB, image)
    db.session.flush()


def withdraw(actor, proposal: Proposal) -> Proposal:
    """The author withdraws: it stays visible, marked withdrawn, its supports frozen.

    The supporters get their support back in their budget (it no longer counts against the
    consultation's limit), and they and the followers are told.
    """
    if not permissions.can_withdraw(actor, proposal):
        raise PermissionDenied(_("This proposal cannot be withdrawn."))
    now = utcnow()
    done = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state.in_(SUPPORTABLE_STATES))
        .values(state=ProposalState.WITHDRAWN, state_changed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise Conflict(_("This proposal was answered or withdrawn in the meantime."))
    supporters = select(Support.user_id).where(Support.proposal_id == proposal.id)
    db.session.execute(
        update(SupportBudget)
        .where(
            SupportBudget.consultation_id == proposal.consultation_id,
            SupportBudget.user_id.in_(supporters),
            SupportBudget.used > 0,
        )
        .values(used=SupportBudget.used - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(proposal)
    db.session.flush()
    from civic.notifications.models import NotificationKind
    from civic.notifications.services import notify

    notify(_audience(proposal, include_author=False), NotificationKind.PROPOSAL_WITHDRAWN, proposal, actor)
    return proposal


# ---- supporting -------------------------------------------------------------------------------


def _lock_supportable(proposal_id: int) -> None:
    """Lock the proposal row (first, always) and check supporting is still open."""
    row = db.session.execute(
        select(Proposal.id)
        .where(Proposal.id == proposal_id, Proposal.state.in_(SUPPORTABLE_STATES))
        .with_for_update()
    ).first()
    if row is None:
        raise Conflict(_("Supporting this proposal is closed."))


def _ensure_budget(user_id: int, consultation_id: int) -> None:
    """The person's counter row, created from their current supports the first time."""
    current = (
        select(func.count())
        .select_from(Support)
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(
            Support.user_id == user_id,
            Proposal.consultation_id == consultation_id,
            Proposal.state != ProposalState.WITHDRAWN,
        )
        .scalar_subquery()
    )
    db.session.execute(
        _insert(SupportBudget.__table__)
        .values(user_id=user_id, consultation_id=consultation_id, used=current)
        .on_conflict_do_nothing(index_elements=["user_id", "consultation_id"])
    )


def _budget(user_id: int, consultation_id: int):
    return and_(SupportBudget.user_id == user_id, SupportBudget.consultation_id == consultation_id)


def support(actor, proposal: Proposal, settings: ProposalSettings) -> bool:
    """``actor`` supports ``proposal``; False when they already did (nothing changes)."""
    if not permissions.can_support(actor, proposal, settings):
        if permissions.may_support_at_all(actor, proposal) and settings.verified_only:
            raise PermissionDenied(
                _("Only residents verified by the city can support proposals in this consultation.")
            )
        raise PermissionDenied(_("You cannot support this proposal."))
    _lock_supportable(proposal.id)
    _ensure_budget(actor.id, proposal.consultation_id)
    spend = (
        update(SupportBudget)
        .where(_budget(actor.id, proposal.consultation_id))
        .values(used=SupportBudget.used + 1)
        .execution_options(synchronize_session=False)
    )
    if settings.max_supports is not None:
        spend = spend.where(SupportBudget.used < settings.max_supports)
    if not db.session.execute(spend).rowcount:
        raise Conflict(
            _(
                "You have used all %(max)s of your supports in this consultation. Take one back "
                "to support another proposal.",
                max=settings.max_supports,
            )
        )
    table = Support.__table__
    inserted = db.session.execute(
        _insert(table)
        .values(proposal_id=proposal.id, user_id=actor.id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["proposal_id", "user_id"])
        .returning(table.c.id)
    ).first()
    if inserted is None:  # already supported (a double click, two tabs): give the budget back
        db.session.execute(
            update(SupportBudget)
            .where(_budget(actor.id, proposal.consultation_id))
            .values(used=SupportBudget.used - 1)
            .execution_options(synchronize_session=False)
        )
        return False
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(proposal, ["support_count"])
    return True


def unsupport(actor, proposal: Proposal) -> bool:
    """Take a support back while supporting is open; False when there was none."""
    if not permissions.can_unsupport(actor, proposal):
        raise PermissionDenied(_("Supports on this proposal can no longer change."))
    _lock_supportable(proposal.id)
    deleted = db.session.execute(
        delete(Support)
        .where(Support.proposal_id == proposal.id, Support.user_id == actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not deleted:
        return False
    db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id)
        .values(support_count=Proposal.support_count - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(SupportBudget)
        .where(_budget(actor.id, proposal.consultation_id), SupportBudget.used > 0)
        .values(used=SupportBudget.used - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(proposal, ["support_count"])
    return True


def supported_ids(user, proposal_ids) -> set[int]:
    """Which of ``proposal_ids`` ``user`` supports (one query)."""
    ids = list(proposal_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.execute(
            select(Support.proposal_id).where(Support.user_id == user.id, Support.proposal_id.in_(ids))
        ).scalars()
    )


def supports_used(user, consultation_id: int) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    used = db.session.execute(
        select(SupportBudget.used).where(_budget(user.id, consultation_id))
    ).scalar_one_or_none()
    if used is not None:
        return used
    return db.session.execute(
        select(func.count())
        .select_from(Support)
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(
            Support.user_id == user.id,
            Proposal.consultation_id == consultation_id,
            Proposal.state != ProposalState.WITHDRAWN,
        )
    ).scalar_one()


def supports_remaining(user, settings: ProposalSettings) -> int | None:
    """How many more proposals ``user`` may support (None: no limit)."""
    if settings.max_supports is None:
        return None
    return max(settings.max_supports - supports_used(user, settings.consultation_id), 0)


@dataclass(frozen=True)
class Progress:
    count: int
    threshold: int | None

    @property
    def reached(self) -> bool:
        return self.threshold is not None and self.count >= self.threshold

    @property
    def percent(self) -> int:
        if not self.threshold:
            return 0
        return min(100, self.count * 100 // self.threshold)


def progress(proposal: Proposal, settings: ProposalSettings) -> Progress:
    return Progress(proposal.support_count, settings.support_threshold)


# ---- official answers -------------------------------------------------------------------------


def _audience(proposal: Proposal, *, include_author: bool = True) -> list[User]:
    """The author, the supporters and the followers of ``proposal`` (one query)."""
    from civic.notifications.models import Follow

    conditions = [
        User.id.in_(select(Support.user_id).where(Support.proposal_id == proposal.id)),
        User.id.in_(select(Follow.user_id).where(Follow.proposal_id == proposal.id)),
    ]
    if include_author and proposal.author_id is not None:
        conditions.append(User.id == proposal.author_id)
    return list(db.session.execute(select(User).where(or_(*conditions)).order_by(User.id)).scalars())


def answer(actor, proposal: Proposal, new_state: ProposalState, texts: dict[str, str]) -> ProposalAnswer:
    """Move ``proposal`` to ``new_state`` with a public answer (one text per language)."""
    if not permissions.can_answer(actor, proposal):
        raise PermissionDenied(_("You may not answer this proposal."))
    new_state = ProposalState.coerce(new_state)
    if new_state not in permissions.answer_choices(proposal):
        raise InvalidInput(_("Choose one of the states offered."), field="state")
    languages = current_app.config["LANGUAGES"]
    cleaned = {
        code: (value or "").strip() for code, value in texts.items() if code in languages and (value or "").strip()
    }
    if not cleaned:
        raise InvalidInput(
            _("Write the public answer in at least one language."), field=f"text_{languages[0]}"
        )
    for code, value in cleaned.items():
        if len(value) > ANSWER_MAX:
            raise InvalidInput(
                _("The answer can be at most %(max)s characters long.", max=ANSWER_MAX),
                field=f"text_{code}",
            )
    previous = proposal.state
    now = utcnow()
    done = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.state == previous)
        .values(state=new_state, state_changed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        raise Conflict(_("Someone changed this proposal in the meantime. Check its state and try again."))
    row = ProposalAnswer(
        proposal_id=proposal.id,
        state=new_state,
        previous_state=previous,
        author_id=actor.id,
        created_at=now,
        texts=[ProposalAnswerText(locale=code, body=value) for code, value in sorted(cleaned.items())],
    )
    db.session.add(row)
    db.session.flush()
    audit(actor, AuditAction.PROPOSAL_ANSWERED, proposal, old=previous.value, new=new_state.value,
          answer_id=row.id, languages=sorted(cleaned))
    db.session.expire(proposal)
    from civic.notifications.models import NotificationKind
    from civic.notifications.services import notify

    notify(
        _audience(proposal),
        NotificationKind.PROPOSAL_ANSWERED,
        proposal,
        actor,
        state=str(new_state),
        answer_id=row.id,
    )
    return row


ANSWER_MAX = 5000


# ---- following --------------------------------------------------------------------------------


def follow(actor, proposal: Proposal):
    if not permissions.can_follow(actor, proposal):
        raise PermissionDenied(_("You cannot follow this proposal."))
    from civic.notifications.services import follow as follow_target

    return follow_target(actor, proposal)


def unfollow(actor, proposal: Proposal) -> bool:
    from civic.notifications.services import unfollow as unfollow_target

    return unfollow_target(actor, proposal)


def is_following(user, proposal: Proposal) -> bool:
    from civic.notifications.services import is_following as following

    return following(user, proposal)


# ---- words, search and similar proposals ------------------------------------------------------

_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)

#: Frequent words that say nothing about what a proposal is about (fr, en, es, ar).
STOP_WORDS = frozenset(
    """
    the and for that this with from are was were have has had not but you your our their they
    them there here what which who will would should could can more most very also into onto
    about than then when where while all any each other some such only own same just over
    les des une est que qui dans pour par sur pas plus avec sont aux ces ses nos vos leur leurs
    mais comme tout tous toute toutes elle ils elles nous vous cette cet être avoir fait faire
    del las los una por con para como más pero sus este esta estos estas ese esa eso entre
    sobre también cuando donde todo todos toda todas muy sin hay ser que
    في من على إلى عن مع هذا هذه ذلك التي الذي التي كان كانت أن إن لا ما أو ثم قد كل بين عند
    """.split()
)


def significant_words(text_value: str, limit: int = 10) -> list[str]:
    """Distinct lower-case words of three letters or more, without common stop words."""
    seen: list[str] = []
    for match in _WORD.finditer((text_value or "").lower()):
        word = match.group(0)
        if word in STOP_WORDS or word in seen:
            continue
        seen.append(word)
        if len(seen) >= limit:
            break
    return seen


def _similarity_words(title: str, body: str) -> list[str]:
    words = significant_words(title, limit=8)
    counts = Counter(
        w for w in (m.group(0) for m in _WORD.finditer((body or "").lower()))
        if len(w) >= 5 and w not in STOP_WORDS and w not in words
    )
    words += [w for w, _n in counts.most_common(4)]
    return words[:12]


def _vector():
    return literal_column(search_vector_sql("proposal."))


def _like(word: str):
    pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(
        func.lower(Proposal.title).like(pattern, escape="\\"),
        func.lower(Proposal.body).like(pattern, escape="\\"),
    )


def _word_match(word: str):
    if _dialect() == "postgresql":
        return _vector().op("@@")(func.plainto_tsquery(literal_column("'simple'::regconfig"), word))
    return _like(word)


def search_condition(query: str):
    """The proposal's title or body matches ``query`` (all its words)."""
    query = (query or "").strip()[:200]
    if _dialect() == "postgresql":
        return _vector().op("@@")(
            func.websearch_to_tsquery(literal_column("'simple'::regconfig"), query)
        )
    words = [w.lower() for w in re.findall(r"\w+", query)][:8]
    if not words:
        return literal(True)
    return and_(*(_like(w) for w in words))


SIMILAR_LIMIT = 5


def similar_proposals(
    consultation_id: int, title: str, body: str, exclude_id: int | None = None, limit: int = SIMILAR_LIMIT
) -> list[Proposal]:
    """Published proposals of the consultation that share words with this title and text.

    PostgreSQL: the GIN index finds candidates with an OR of the words; SQLite: LIKE on each
    significant word. The best matches (most words in common, then most supported) first.
    """
    words = _similarity_words(title, body)
    if not words:
        return []
    matches = [_word_match(w) for w in words]
    score = sum((case((m, 1), else_=0) for m in matches), literal(0))
    needed = 1 if len(words) == 1 else 2
    if _dialect() == "postgresql":
        query = func.plainto_tsquery(literal_column("'simple'::regconfig"), words[0])
        for w in words[1:]:
            query = query.op("||")(func.plainto_tsquery(literal_column("'simple'::regconfig"), w))
        any_match = _vector().op("@@")(query)
    else:
        any_match = or_(*matches)
    candidates = (
        select(Proposal.id.label("id"), score.label("score"))
        .where(
            Proposal.consultation_id == consultation_id,
            Proposal.state.in_([s for s in PUBLIC_STATES if s != ProposalState.WITHDRAWN]),
            Proposal.moderation_state == ModerationState.VISIBLE,
            any_match,
        )
    )
    if exclude_id is not None:
        candidates = candidates.where(Proposal.id != exclude_id)
    sub = candidates.subquery()
    stmt = (
        select(Proposal)
        .join(sub, sub.c.id == Proposal.id)
        .where(sub.c.score >= needed)
        .options(*listing_options(with_consultation=False))
        .order_by(sub.c.score.desc(), Proposal.support_count.desc(), Proposal.id)
        .limit(limit)
    )
    return list(db.session.execute(stmt).unique().scalars())


# ---- listings ---------------------------------------------------------------------------------

SORTS = ("random", "supported", "newest", "commented")
#: A prime above every id: (id * a + b) mod P is a different order for every seed.
RANDOM_PRIME = 2_147_483_647


def random_key(seed: int):
    """SQL for a deterministic shuffle of proposal ids, stable for one seed.

    ``x = (id * a + b) mod P`` spreads the ids (a bijection, ``P`` prime and above every id),
    then ``(x * x + c) mod P`` breaks the arithmetic progression left by consecutive ids (ties,
    rare, fall back to the id). Everything stays within BIGINT: ``x < 2**31``.
    """
    a = 1 + (seed * 2_654_435_761) % (RANDOM_PRIME - 1)
    b = (seed * 40_503 + 12_345) % RANDOM_PRIME
    c = (seed * 69_621 + 7) % RANDOM_PRIME
    p = literal(RANDOM_PRIME, BigInteger)
    x = (cast(Proposal.id, BigInteger) * literal(a, BigInteger) + literal(b, BigInteger)) % p
    return (x * x + literal(c, BigInteger)) % p


@dataclass
class Filters:
    consultation_id: int | None = None
    state: ProposalState | None = None
    topic_id: int | None = None
    area_id: int | None = None
    mine: bool = False
    supported: bool = False
    query: str = ""
    sort: str = "random"
    seed: int = 1


def order_by(stmt: Select, sort: str, seed: int) -> Select:
    if sort == "supported":
        return stmt.order_by(Proposal.support_count.desc(), Proposal.id.desc())
    if sort == "newest":
        return stmt.order_by(Proposal.published_at.desc(), Proposal.id.desc())
    if sort == "commented":
        return stmt.order_by(Proposal.comment_count.desc(), Proposal.id.desc())
    return stmt.order_by(random_key(seed), Proposal.id)


def listing_query(user, filters: Filters, now: datetime | None = None) -> Select:
    """SELECT of the published proposals ``user`` may see, filtered and sorted (paginate it)."""
    from civic.consultations.services import visible_condition

    now = now or utcnow()
    stmt = select(Proposal)
    if filters.consultation_id is not None:
        stmt = stmt.where(Proposal.consultation_id == filters.consultation_id)
    else:
        visible = select(Consultation.id).where(visible_condition(user, now))
        stmt = stmt.where(Proposal.consultation_id.in_(visible))
    if filters.state is not None and filters.state != ProposalState.DRAFT:
        stmt = stmt.where(Proposal.state == filters.state)
    else:
        stmt = stmt.where(Proposal.state.in_(PUBLIC_STATES))
    # Held and hidden proposals are not listed (civic.moderation).
    stmt = stmt.where(Proposal.moderation_state == ModerationState.VISIBLE)
    if filters.topic_id:
        stmt = stmt.where(Proposal.topic_id == filters.topic_id)
    if filters.area_id:
        stmt = stmt.where(Proposal.area_id == filters.area_id)
    signed_in = getattr(user, "is_authenticated", False)
    if filters.mine:
        stmt = stmt.where(Proposal.author_id == (user.id if signed_in else -1))
    if filters.supported:
        stmt = stmt.where(
            exists(
                select(Support.id).where(
                    Support.proposal_id == Proposal.id, Support.user_id == (user.id if signed_in else -1)
                )
            )
        )
    if filters.query.strip():
        stmt = stmt.where(search_condition(filters.query))
    return order_by(stmt, filters.sort, filters.seed)


#: From this many proposals on (config ``PROPOSALS_INDEXED_SHUFFLE_FROM``), the random order
#: is no longer a per-visitor permutation (which must sort every proposal on each request)
#: but the stored random order (``shuffle_key``) read from the visitor's own starting point
#: and wrapping around: two index range scans whatever the size. Smaller listings keep the
#: full per-visitor shuffle.
INDEXED_SHUFFLE_FROM = 2000


def uses_indexed_shuffle(total: int) -> bool:
    return total >= current_app.config.get("PROPOSALS_INDEXED_SHUFFLE_FROM", INDEXED_SHUFFLE_FROM)


def shuffle_start(seed: int) -> int:
    """The visitor's starting point in the stored random order (spread over the key space)."""
    return (seed * 2_654_435_761 + 97) % RANDOM_PRIME


def _count(stmt: Select) -> int:
    return db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def listing_page(user, filters: Filters, number: int, per_page: int, *, total: int | None = None,
                 options=()):
    """One page of ``listing_query``. Big random listings page through the stored random
    order by index (ids first, then the page's rows), never sorting every proposal."""
    from civic.core.pagination import Page, paginate

    stmt = listing_query(user, filters)
    if filters.sort != "random":
        return paginate(stmt.options(*options), number, per_page, total=total)
    if total is None:
        total = _count(stmt)
    if not uses_indexed_shuffle(total):
        return paginate(stmt.options(*options), number, per_page, total=total)
    base = stmt.order_by(None).with_only_columns(Proposal.id)
    key = Proposal.shuffle_key
    start = shuffle_start(filters.seed)
    offset = (number - 1) * per_page

    def segment(condition, skip: int, limit: int) -> list[int]:
        return list(db.session.execute(
            base.where(condition).order_by(key, Proposal.id).offset(skip).limit(limit)
        ).scalars())

    ids = segment(key >= start, offset, per_page)
    if len(ids) < per_page:  # the page reaches the wrap-around
        before = offset + len(ids) if ids or not offset else _count(base.where(key >= start))
        ids += segment(key < start, max(0, offset - before), per_page - len(ids))
    rows = {}
    if ids:
        rows = {p.id: p for p in db.session.execute(
            select(Proposal).where(Proposal.id.in_(ids)).options(*options)
        ).unique().scalars()}
    return Page(items=[rows[i] for i in ids if i in rows], number=number, per_page=per_page, total=total)


def published_total(user, now: datetime | None = None) -> int:
    """Published proposals of every consultation ``user`` may see, from the stored counters."""
    from civic.consultations.services import visible_condition

    visible = select(Consultation.id).where(visible_condition(user, now or utcnow()))
    return db.session.execute(
        select(func.coalesce(func.sum(ProposalSettings.published_count), 0)).where(
            ProposalSettings.consultation_id.in_(visible)
        )
    ).scalar_one()


def listing_options(*, with_consultation: bool) -> list:
    options = [joinedload(Proposal.author), joinedload(Proposal.topic), joinedload(Proposal.area)]
    if with_consultation:
        options.append(joinedload(Proposal.consultation))
    return options


def is_unfiltered(filters: Filters) -> bool:
    return not (
        filters.state or filters.topic_id or filters.area_id or filters.mine or filters.supported
        or filters.query.strip()
    )


def drafts_query(user) -> Select:
    return (
        select(Proposal)
        .where(Proposal.author_id == user.id, Proposal.state == ProposalState.DRAFT)
        .options(joinedload(Proposal.consultation))
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
    )


def first_proposals(consultation_ids, seed: int, per_consultation: int,
                    totals: dict[int, int] | None = None) -> dict[int, list[Proposal]]:
    """The first proposals of each consultation in the default (random) order: one query,
    plus two small index range scans for each consultation with very many (``totals``:
    published counts, see ``listing_page``)."""
    ids = list(consultation_ids)
    if not ids:
        return {}
    big = [i for i in ids if totals and uses_indexed_shuffle(totals.get(i, 0))]
    out_big: dict[int, list[Proposal]] = {}
    for cid in big:
        page = listing_page(None, Filters(consultation_id=cid, seed=seed), 1, per_consultation,
                            total=totals[cid], options=listing_options(with_consultation=False))
        out_big[cid] = page.items
    ids = [i for i in ids if i not in out_big]
    if not ids:
        return out_big
    ranked = (
        select(
            Proposal.id.label("id"),
            func.row_number()
            .over(partition_by=Proposal.consultation_id, order_by=(random_key(seed), Proposal.id))
            .label("rank"),
        )
        .where(
            Proposal.consultation_id.in_(ids),
            Proposal.state.in_(PUBLIC_STATES),
            Proposal.moderation_state == ModerationState.VISIBLE,
        )
        .subquery()
    )
    stmt = (
        select(Proposal)
        .join(ranked, ranked.c.id == Proposal.id)
        .where(ranked.c.rank <= per_consultation)
        .options(*listing_options(with_consultation=False))
        .order_by(Proposal.consultation_id, ranked.c.rank)
    )
    out: dict[int, list[Proposal]] = {i: [] for i in ids}
    for p in db.session.execute(stmt).unique().scalars():
        out[p.consultation_id].append(p)
    return {**out, **out_big}


REPORT_LIMIT = 20
ANSWERED_STATES = (
    ProposalState.UNDER_EVALUATION,
    ProposalState.ACCEPTED,
    ProposalState.REJECTED,
    ProposalState.IMPLEMENTED,
)


@dataclass
class ReportData:
    counts: dict[ProposalState, int]
    proposals: list[Proposal]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def answered_report(consultation_ids) -> dict[int, ReportData]:
    """For the "you said, we did" report: answered proposals per state, the most supported
    ones with their answers (a fixed number of queries for any number of consultations)."""
    ids = list(consultation_ids)
    if not ids:
        return {}
    counts: dict[int, dict[ProposalState, int]] = {i: {} for i in ids}
    for cid, state, n in db.session.execute(
        select(Proposal.consultation_id, Proposal.state, func.count())
        .where(
            Proposal.consultation_id.in_(ids),
            Proposal.state.in_(ANSWERED_STATES),
            Proposal.moderation_state == ModerationState.VISIBLE,
        )
        .group_by(Proposal.consultation_id, Proposal.state)
    ):
        counts[cid][state] = n
    ranked = (
        select(
            Proposal.id.label("id"),
            func.row_number()
            .over(
                partition_by=Proposal.consultation_id,
                order_by=(Proposal.support_count.desc(), Proposal.id),
            )
            .label("rank"),
        )
        .where(
            Proposal.consultation_id.in_(ids),
            Proposal.state.in_(ANSWERED_STATES),
            Proposal.moderation_state == ModerationState.VISIBLE,
        )
        .subquery()
    )
    rows = db.session.execute(
        select(Proposal)
        .join(ranked, ranked.c.id == Proposal.id)
        .where(ranked.c.rank <= REPORT_LIMIT)
        .options(selectinload(Proposal.answers))
        .order_by(Proposal.consultation_id, ranked.c.rank)
    ).unique().scalars()
    lists: dict[int, list[Proposal]] = {i: [] for i in ids}
    for p in rows:
        lists[p.consultation_id].append(p)
    return {i: ReportData(counts[i], lists[i]) for i in ids if counts[i]}


def feed_entries(consultation_id: int, limit: int = 50) -> list[Proposal]:
    return list(
        db.session.execute(
            select(Proposal)
            .where(
                Proposal.consultation_id == consultation_id,
                Proposal.state.in_(PUBLIC_STATES),
                Proposal.moderation_state == ModerationState.VISIBLE,
            )
            .options(joinedload(Proposal.author))
            .order_by(Proposal.published_at.desc(), Proposal.id.desc())
            .limit(limit)
        ).unique().scalars()
    )


def all_topics() -> list[Topic]:
    return list(db.session.execute(select(Topic).order_by(Topic.slug)).scalars())


def all_areas() -> list[Area]:
    return list(db.session.execute(select(Area).order_by(Area.slug)).scalars())


def consultation_is_open(consultation: Consultation) -> bool:
    return consultation.current_state == ConsultationState.OPEN
