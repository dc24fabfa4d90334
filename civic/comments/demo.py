"""Demo discussions: lively threads in French, English, Spanish and Arabic on the open
consultations, their sections, the most supported proposals and the meetings, with replies,
positions, mentions, votes, one edited and one deleted comment.

Everything goes through the services (counters, mentions and notifications are what real use
produces); the times are then spread over the last days so the threads read naturally. Runs
after the consultations, meetings and proposals builders.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from civic.extensions import db

#: A consultation thread: (author, language, position, text, replies) — replies nest.
CONSULTATION_THREADS = [
    ("fatima", "fr", "in_favour",
     "Enfin ! Les berges sont **magnifiques** mais on ne peut pas y marcher tranquillement aujourd'hui. "
     "Je soutiens le projet, à condition de garder des bancs à l'ombre.",
     [
         ("priya", "en", None,
          "Agreed about the shade. Could the plan include *drinking fountains* too? Summers are getting hotter.",
          [
              ("maria", "es", None, "Sí, y que las fuentes sean accesibles para sillas de ruedas, por favor.",
               [("rania", "ar", None, "أوافق تمامًا. ويجب أن تكون هناك مقاعد كل مئتي متر لكبار السن.", [])]),
          ]),
         ("yusuf", "en", None, "@Fatima Zahra Benali do you know if the cycle lane will be separate from the walkway?",
          [("fatima", "fr", None, "D'après l'article 2, oui : une piste à double sens, séparée des piétons.", [])]),
     ]),
    ("lucia", "es", "against",
     "No estoy en contra de la idea, pero el presupuesto me parece excesivo mientras faltan plazas en las guarderías.\n\n"
     "> 2,4 M€ para el paseo\n\nPrefiero una primera fase más modesta.",
     [
         ("elodie", "fr", None, "Je comprends, mais ce budget vient d'un fonds régional réservé aux aménagements.",
          [("lucia", "es", None, "Gracias, no lo sabía. Entonces mi objeción es menor.", [])]),
     ]),
    ("hyunwoo", "en", "neutral",
     "Two questions before I make up my mind:\n\n1. Will the lights stay on all night?\n2. Where will delivery vans park?",
     [("ane", "es", None, "La iluminación nocturna está en el artículo 4. Lo de las furgonetas, no lo veo.", [])]),
    ("sami", "ar", "in_favour", "مشروع رائع للعائلات. أتمنى أن تكون هناك ألعاب للأطفال قرب الجسر.", []),
]

SECTION_COMMENTS = [
    ("priya", "en", "Could the promenade be at least **4 m** wide? Bikes and prams share it at weekends."),
    ("jean", "fr", "Attention aux racines des arbres : le revêtement doit rester praticable pour les fauteuils."),
    ("maria", "es", "¿Habrá zonas de sombra a lo largo de todo el recorrido?"),
]

PROPOSAL_COMMENTS = [
    ("verified", "en", "in_favour", "Great idea — I walk there every morning and this is exactly what is missing."),
    ("elodie", "fr", "in_favour", "Bonne idée, à condition de prévoir l'entretien dans le budget."),
    ("tomasz", "en", "against", "I worry about the cost of maintenance. Who will look after them?"),
    ("rania", "ar", "neutral", "فكرة جيدة، لكن يجب سؤال السكان القريبين أولاً."),
]
PROPOSAL_REPLIES = [
    ("lucia", "es", "El ayuntamiento ya tiene un equipo de mantenimiento para el mobiliario urbano."),
    ("hyunwoo", "en", "Maybe a local association could adopt them, like the community gardens."),
]

MEETING_COMMENTS = [
    ("minji", "en", "Is the room step-free? I use a wheelchair.",
     [("staff", "en", "Yes: the entrance on the square side is step-free and there is a lift to room 2.")]),
    ("jean", "fr", "Est-ce qu'il y aura une interprétation en langue des signes ?",
     [("sami", "ar", "سؤال مهم. أنا أيضًا أحتاج إلى ترجمة إلى العربية إن أمكن.")]),
    ("ane", "es", "¡Allí estaré! ¿Se podrá seguir en línea?", []),
]


def _active(ctx, key):
    user = ctx.users.get(key)
    return user if user is not None and user.status.value == "active" else None


def _open_consultations():
    from civic.consultations.models import Consultation, ConsultationState

    rows = db.session.execute(select(Consultation).order_by(Consultation.id)).unique().scalars()
    return [c for c in rows if c.current_state == ConsultationState.OPEN]


class _Poster:
    """Posts through the services and spreads the comments over the last days."""

    def __init__(self, ctx, start):
        self.ctx = ctx
        self.when = start
        self.posted = []

    def post(self, who, target, text, language, position=None, parent=None):
        from civic.comments import services
        from civic.core.errors import DomainError

        author = _active(self.ctx, who)
        if author is None:
            return None
        try:
            comment = services.post_comment(
                author, target, text, language=language, position=position, parent=parent
            )
        except DomainError:
            return None
        self.when += timedelta(minutes=self.ctx.rng.randint(17, 190))
        comment.created_at = self.when
        self.posted.append((comment, target))
        return comment


def _thread(poster, target, items, parent=None):
    for who, language, position, text, replies in items:
        comment = poster.post(who, target, text, language, position=position if parent is None else None,
                              parent=parent)
        if comment is not None:
            _thread(poster, target, replies, comment)


def _votes(ctx, posted) -> None:
    """Votes in bulk (hundreds of them), with the stored counters set to match."""
    from sqlalchemy import insert, update

    from civic.comments.models import Comment, CommentState, CommentVote
    from civic.core.time import utcnow

    people = [u for u in ctx.residents if u.status.value == "active"]
    rows = []
    for comment, _target in posted:
        if comment.state != CommentState.VISIBLE:
            continue
        voters = [v for v in ctx.rng.sample(people, k=min(len(people), ctx.rng.randint(0, 9)))
                  if v.id != comment.author_id]
        values = [ctx.rng.choice((1, 1, 1, -1)) for _ in voters]
        rows += [{"comment_id": comment.id, "user_id": v.id, "value": value, "created_at": utcnow(),
                  "updated_at": utcnow()} for v, value in zip(voters, values, strict=True)]
        up, down = values.count(1), values.count(-1)
        if up or down:
            db.session.execute(
                update(Comment).where(Comment.id == comment.id)
                .values(up_count=up, down_count=down, score=up - down)
                .execution_options(synchronize_session=False)
            )
    if rows:
        db.session.execute(insert(CommentVote), rows)
    for comment, _target in posted:
        db.session.expire(comment, ["up_count", "down_count", "score"])


def build_comments(ctx) -> None:
    """Builder for ``flask demo-data`` (after consultations, meetings and proposals)."""
    from civic.accounts.models import User
    from civic.comments import services
    from civic.comments.targets import make_target
    from civic.consultations.models import ConsultationSection
    from civic.core.time import utcnow
    from civic.meetings.models import Meeting, MeetingState
    from civic.proposals.models import Proposal, ProposalState

    if not ctx.users:
        return
    now = utcnow()
    poster = _Poster(ctx, now - timedelta(days=6))
    consultations = _open_consultations()

    # A lively thread on each open consultation (the first gets the richest one).
    for index, consultation in enumerate(consultations[:3]):
        target = make_target("consultation", consultation)
        _thread(poster, target, CONSULTATION_THREADS if index == 0 else CONSULTATION_THREADS[1:3])

    # Its sections.
    for consultation in consultations[:2]:
        sections = db.session.execute(
            select(ConsultationSection)
            .where(ConsultationSection.consultation_id == consultation.id)
            .order_by(ConsultationSection.position)
        ).scalars().all()
        for section, (who, language, text) in zip(sections, SECTION_COMMENTS, strict=False):
            comment = poster.post(who, make_target("section", section), text, language)
            if comment is not None:
                poster.post("fatima", make_target("section", section),
                            "Bonne remarque, je suis d'accord.", "fr", parent=comment)

    # The most supported proposals of the open consultations.
    if consultations:
        proposals = db.session.execute(
            select(Proposal)
            .where(
                Proposal.consultation_id.in_([c.id for c in consultations]),
                Proposal.state.in_([ProposalState.PUBLISHED, ProposalState.UNDER_EVALUATION]),
            )
            .order_by(Proposal.support_count.desc(), Proposal.id)
            .limit(4)
        ).scalars().all()
        for n, proposal in enumerate(proposals):
            target = make_target("proposal", proposal)
            first = None
            for who, language, position, text in PROPOSAL_COMMENTS[: 4 - n % 2]:
                if _active(ctx, who) is not None and _active(ctx, who).id == proposal.author_id:
                    continue
                comment = poster.post(who, target, text, language, position=position)
                first = first or comment
            if first is not None:
                for who, language, text in PROPOSAL_REPLIES:
                    poster.post(who, target, text, language, parent=first)

    # Upcoming meetings, and those that took place in the last days.
    days = current_app.config.get("COMMENT_MEETING_DAYS_AFTER", 14)
    meetings = db.session.execute(
        select(Meeting)
        .where(Meeting.state == MeetingState.SCHEDULED, Meeting.ends_at > now - timedelta(days=days))
        .order_by(Meeting.starts_at, Meeting.id)
        .limit(3)
    ).scalars().all()
    for meeting in meetings:
        target = make_target("meeting", meeting)
        for who, language, text, replies in MEETING_COMMENTS:
            comment = poster.post(who, target, text, language)
            for reply_who, reply_language, reply_text in replies:
                if comment is not None:
                    poster.post(reply_who, target, reply_text, reply_language, parent=comment)

    db.session.flush()
    _votes(ctx, poster.posted)

    # One comment edited by its author (the earlier version is kept), one deleted (its
    # replies stay).
    edited = next((c for c, t in poster.posted if c.body.startswith("Two questions")), None)
    if edited is not None:
        target = next(t for c, t in poster.posted if c is edited)
        author = db.session.get(User, edited.author_id)
        services.edit_comment(
            author, edited, target,
            edited.body + "\n\n*Edit:* the lighting is answered in article 4, thanks @Ane Urrutia.",
            language="en", position="neutral",
        )
        edited.edited_at = edited.created_at + timedelta(hours=3)
    deleted = next((c for c, _t in poster.posted if c.body.startswith("No estoy en contra")), None)
    if deleted is not None:
        services.delete_comment(_active(ctx, "lucia"), deleted)
        deleted.deleted_at = deleted.created_at + timedelta(days=1)
    ctx.extra["comments"] = len(poster.posted)
    db.session.flush()
