"""A small city with one person's contributions everywhere, made through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from civic.comments import services as comment_services
from civic.comments.targets import make_target
from civic.consultations import services as consultation_services
from civic.consultations.models import (
    Consultation,
    ConsultationState,
    ConsultationTranslation,
    Question,
    QuestionKind,
    QuestionOption,
)
from civic.core.time import utcnow
from civic.extensions import db
from civic.meetings import services as meeting_services
from civic.meetings.models import (
    Meeting,
    MeetingState,
    MeetingTranslation,
    MeetingType,
    PollChoice,
    PollSlot,
    RegistrationMode,
    SchedulingPoll,
)
from civic.notifications import services as notification_services
from civic.notifications.models import NotificationKind
from civic.proposals import services as proposal_services
from civic.proposals.models import ProposalSettings
from civic.proposals.services import ProposalInput
from tests import factories


@dataclass
class World:
    person: object
    others: list
    department: object
    consultation: Consultation
    single: Question
    ranking: Question
    settings: ProposalSettings
    own_proposal: object = None
    other_proposal: object = None
    own_comment: object = None
    other_comment: object = None
    meeting: Meeting = None
    poll: SchedulingPoll = None
    extra: dict = field(default_factory=dict)


def _consultation(department) -> Consultation:
    now = utcnow()
    c = Consultation(
        department_id=department.id,
        state=ConsultationState.OPEN,
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=30),
        default_locale="en",
        timezone="Europe/Paris",
    )
    c.translations = [ConsultationTranslation(locale="en", title="Greener streets", summary="")]
    db.session.add(c)
    db.session.flush()
    return c


def _question(consultation, kind, labels, position):
    q = Question(
        consultation_id=consultation.id, kind=kind, position=position,
        prompt_translations={"en": f"Question {position}"},
    )
    q.options = [QuestionOption(position=i, label_translations={"en": label}) for i, label in enumerate(labels, 1)]
    db.session.add(q)
    db.session.flush()
    return q


def _proposal(author, consultation, settings, title):
    draft = proposal_services.create_draft(
        author, consultation, settings,
        ProposalInput(title=title, body="Plant trees along the avenue, please.", language="en"),
    )
    db.session.commit()
    proposal = proposal_services.get_proposal(draft.id)
    proposal_services.publish(author, proposal, settings)
    db.session.commit()
    return proposal_services.get_proposal(draft.id)


def build(person, department) -> World:
    """``person`` answers, supports, proposes, comments, votes, registers, follows…"""
    others = [factories.UserFactory() for _ in range(3)]
    consultation = _consultation(department)
    single = _question(consultation, QuestionKind.SINGLE, ["North", "South"], 1)
    ranking = _question(consultation, QuestionKind.RANKING, ["Trees", "Benches", "Lights"], 2)
    settings = ProposalSettings(
        consultation_id=consultation.id, accepts_proposals=True, published_count=0, max_supports=3
    )
    db.session.add(settings)
    db.session.commit()
    w = World(person, others, department, consultation, single, ranking, settings)

    # answers (the person and two others)
    n, s = single.options
    trees, benches, lights = ranking.options
    consultation_services.answer_questions(person, consultation, {single.id: n.id, ranking.id: [trees.id, benches.id, lights.id]})
    consultation_services.answer_questions(others[0], consultation, {single.id: n.id, ranking.id: [lights.id, trees.id, benches.id]})
    consultation_services.answer_questions(others[1], consultation, {single.id: s.id})

    # proposals and supports
    w.own_proposal = _proposal(person, consultation, settings, "A bench by the school")
    w.other_proposal = _proposal(others[0], consultation, settings, "More trees on the avenue")
    for who, proposal in ((person, w.other_proposal), (others[1], w.other_proposal), (others[1], w.own_proposal)):
        proposal_services.support(who, proposal_services.get_proposal(proposal.id), settings)
        db.session.commit()
    w.own_proposal = proposal_services.get_proposal(w.own_proposal.id)
    w.other_proposal = proposal_services.get_proposal(w.other_proposal.id)

    # comments and votes
    on_other = make_target("proposal", w.other_proposal)
    w.other_comment = comment_services.post_comment(others[0], on_other, "I agree with this.", language="en")
    w.own_comment = comment_services.post_comment(person, on_other, "My own view on trees.", language="en")
    comment_services.post_comment(others[1], on_other, "A reply to you.", language="en", parent=w.own_comment)
    comment_services.vote(person, w.other_comment, on_other, 1)
    comment_services.vote(others[1], w.own_comment, on_other, -1)
    db.session.commit()

    # a full meeting: the person has a place, someone waits
    starts = utcnow() + timedelta(days=5)
    meeting = Meeting(
        department_id=department.id, default_locale="en", type=MeetingType.IN_PERSON,
        state=MeetingState.SCHEDULED, starts_at=starts, ends_at=starts + timedelta(hours=2),
        timezone="Europe/Paris", address="Town hall", registration=RegistrationMode.LIMITED, capacity=1,
    )
    meeting.translations = [MeetingTranslation(locale="en", title="Street assembly", description="")]
    db.session.add(meeting)
    db.session.commit()
    meeting_services.register(meeting.id, person, meeting_services.AccessNeeds(step_free=True, other="A chair"), actor=person)
    meeting_services.register(meeting.id, others[2], meeting_services.AccessNeeds(), actor=others[2])
    w.meeting = meeting

    poll = SchedulingPoll(
        department_id=department.id, title="When to meet?", type=MeetingType.ONLINE, locale="en",
        timezone="Europe/Paris",
    )
    poll.slots = [PollSlot(starts_at=starts + timedelta(days=i), ends_at=starts + timedelta(days=i, hours=1)) for i in (1, 2)]
    db.session.add(poll)
    db.session.commit()
    meeting_services.answer_poll(poll, {poll.slots[0].id: PollChoice.YES, poll.slots[1].id: PollChoice.NO}, actor=person)
    meeting_services.answer_poll(poll, {poll.slots[0].id: PollChoice.YES}, actor=others[0])
    w.poll = poll

    # a report to the moderators about someone else's comment
    from civic.moderation import services as moderation_services

    comment = comment_services.get_comment(w.other_comment.id)
    w.extra["report"] = moderation_services.report(person, "comment", comment, "spam", "Looks like an advert.")
    db.session.commit()

    # follows and notifications
    notification_services.follow(person, department)
    notification_services.notify([person], NotificationKind.TEST, None, None)
    db.session.commit()
    return w
