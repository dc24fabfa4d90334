"""Demo moderation: watched words, reports, held and hidden content, appeals (one waiting for a
second moderator, one decided), a pre-moderated consultation and a warned profile.

Everything goes through the services, so the audit log, the counters and the notifications
are what real use would produce. Runs after the consultations, meetings and proposals.
"""

from __future__ import annotations

from sqlalchemy import func, select

from civic.extensions import db


def _open_consultations() -> list:
    from civic.consultations.models import Consultation, ConsultationState

    rows = db.session.execute(select(Consultation).order_by(Consultation.id)).scalars()
    return [c for c in rows if c.current_state == ConsultationState.OPEN]


def _proposal(consultation, exclude_author_ids) -> object | None:
    from civic.moderation.states import ModerationState
    from civic.proposals.models import Proposal, ProposalState

    return db.session.execute(
        select(Proposal)
        .where(
            Proposal.consultation_id == consultation.id,
            Proposal.state == ProposalState.PUBLISHED,
            Proposal.moderation_state == ModerationState.VISIBLE,
            Proposal.author_id.is_not(None),
            Proposal.author_id.not_in(exclude_author_ids),
        )
        .order_by(Proposal.id)
        .limit(1)
    ).scalar_one_or_none()


def build_moderation(ctx) -> None:
    from civic.accounts.models import User
    from civic.comments import services as comments
    from civic.comments.targets import make_target
    from civic.meetings.models import Meeting
    from civic.moderation import services as m
    from civic.moderation.models import ModerationCase

    u = ctx.users
    needed = ("admin", "moderator", "moderator2", "fatima", "priya", "yusuf", "maria", "elodie",
              "lucia", "tomasz", "jean", "sami", "pseudonym", "hyunwoo", "ane")
    if any(name not in u for name in needed):
        return
    admin, mod1, mod2 = u["admin"], u["moderator"], u["moderator2"]

    m.update_settings(admin, report_threshold_value=3)
    for phrase in ("idiot", "imbécile", "casino en ligne", "estúpido"):
        m.add_word(admin, phrase)

    consultations = _open_consultations()
    if not consultations:
        return
    first = consultations[0]
    second = consultations[1] if len(consultations) > 1 else None
    discussion = make_target("consultation", first)

    def case_of(kind: str, item) -> ModerationCase:
        column = getattr(ModerationCase, {"comment": "comment_id", "proposal": "proposal_id",
                                          "meeting": "meeting_id", "user": "reported_user_id"}[kind])
        return db.session.execute(
            select(ModerationCase).where(column == item.id).order_by(ModerationCase.id.desc()).limit(1)
        ).scalar_one()

    # Reported twice: waiting in the queue, still visible.
    rude = comments.post_comment(
        u["tomasz"], discussion,
        "Whoever drew this plan has never ridden a bike in this city. Incompetent, all of them.",
        language="en",
    )
    m.report(u["fatima"], "comment", rude, "offensive_or_hateful", "Insults the city's staff.")
    m.report(u["priya"], "comment", rude, "offensive_or_hateful")

    # Reported three times: held automatically until a moderator looks at it.
    spam = comments.post_comment(
        u["jean"], discussion,
        "Cheap bikes and scooters this week only! Visit my shop on Rue Haute, 50% off everything.",
        language="en",
    )
    for reporter in ("yusuf", "maria", "elodie"):
        m.report(u[reporter], "comment", spam, "spam")

    # A watched word: held for review instead of being published.
    comments.post_comment(
        u["sami"], discussion, "Seul un imbécile voterait contre ce projet.", language="fr"
    )

    # Hidden by a moderator with the rule it broke; its author appealed: a second moderator
    # (not the one who decided) will decide.
    off_topic = comments.post_comment(
        u["lucia"], discussion,
        "¿Alguien sabe cuándo abre la piscina municipal este verano? Mi teléfono es 600 123 456.",
        language="es",
    )
    m.report(u["hyunwoo"], "comment", off_topic, "personal_data", "A phone number in a public comment.")
    m.act(
        mod1, case_of("comment", off_topic), "hide",
        reason="It publishes a phone number and is about another subject.", rule="privacy",
    )
    m.appeal(u["lucia"], case_of("comment", off_topic),
             "It is my own phone number, I wanted neighbours to call me about the pool.")

    # A proposal hidden, appealed, and the appeal rejected by a different moderator: final.
    proposal = _proposal(first, [mod1.id, mod2.id, admin.id, u["ane"].id])
    if proposal is not None:
        m.report(u["ane"], "proposal", proposal, "off_topic", "This is not about cycling at all.")
        m.act(
            mod2, case_of("proposal", proposal), "hide",
            reason="It is about parking fees, not the cycling plan this consultation asks about.",
            rule="on_topic",
        )
        author = db.session.get(User, proposal.author_id)
        m.appeal(author, case_of("proposal", proposal), "Parking and cycling lanes use the same space.")
        m.decide_appeal(
            admin, case_of("proposal", proposal), False,
            "The consultation is about the cycling network; parking has its own consultation.",
        )

    # A reported profile: the moderators warned its owner.
    m.report(u["yusuf"], "user", u["pseudonym"], "spam", "The name advertises a shop.")
    m.act(mod1, case_of("user", u["pseudonym"]), "warn",
          message="Please do not use your profile to advertise; choose a personal name.")

    # A meeting description reported once (waiting).
    meeting = db.session.execute(select(Meeting).order_by(Meeting.id).limit(1)).scalar_one_or_none()
    if meeting is not None and meeting.creator_id != u["maria"].id:
        m.report(u["maria"], "meeting", meeting, "misinformation", "The address given is wrong.")

    # A pre-moderated consultation: new comments wait for a moderator's approval.
    if second is not None:
        m.set_premoderation(mod1, second, "all")
        comments.post_comment(
            u["elodie"], make_target("consultation", second),
            "Merci pour cette consultation, j'espère que les quartiers nord seront écoutés.",
            language="fr",
        )
        # Another one already approved.
        approved = comments.post_comment(
            u["priya"], make_target("consultation", second),
            "More benches along the river would help older people walk there.",
            language="en",
        )
        m.act(mod2, case_of("comment", approved), "approve")
    db.session.flush()
    ctx.extra["moderation_cases"] = db.session.execute(
        select(func.count()).select_from(ModerationCase)
    ).scalar_one()
