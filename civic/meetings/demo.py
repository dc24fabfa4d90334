"""Demo meetings: past, live and upcoming meetings of each kind in several time zones, with
registrations, a full meeting with a waiting list, access needs, minutes and a date poll."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from civic.core.time import utcnow
from civic.extensions import db
from civic.meetings import services
from civic.meetings.models import (
    AgendaItem,
    Meeting,
    MeetingOutcome,
    MeetingState,
    MeetingTranslation,
    MeetingType,
    PollAnswer,
    PollChoice,
    PollSlot,
    PollState,
    Registration,
    RegistrationMode,
    RegistrationState,
    SchedulingPoll,
)


def _room() -> str:
    return f"https://meet.jit.si/Civic-{secrets.token_hex(16)}"


def _meeting(ctx, dept: str, *, start, hours: float, type_: MeetingType, zone: str, locale: str,
             texts: dict[str, tuple[str, str]], agenda: list[tuple[int, dict[str, str]]],
             registration=RegistrationMode.OPEN, capacity=None, address="", notes: dict[str, str] | None = None,
             state=MeetingState.SCHEDULED, consultation=None) -> Meeting:
    staff = next(u for u in ctx.users.values() if any(m.department_id == ctx.departments[dept].id for m in u.memberships))
    meeting = Meeting(
        department_id=ctx.departments[dept].id,
        consultation_id=consultation.id if consultation is not None else None,
        default_locale=locale,
        type=type_,
        state=state,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        timezone=zone,
        address=address if type_.has_place else "",
        join_url=_room() if type_.has_link else None,
        registration=registration,
        capacity=capacity,
        creator_id=staff.id,
        cancelled_at=utcnow() if state == MeetingState.CANCELLED else None,
    )
    meeting.translations = [
        MeetingTranslation(locale=code, title=title, description=description, access_notes=(notes or {}).get(code, ""))
        for code, (title, description) in texts.items()
    ]
    meeting.agenda = [
        AgendaItem(position=i, duration_minutes=minutes, title_translations=titles)
        for i, (minutes, titles) in enumerate(agenda, start=1)
    ]
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _register(meeting: Meeting, user, **needs) -> Registration:
    return services.register(meeting.id, user, services.AccessNeeds(**needs), actor=user)


def _past_attendance(meeting: Meeting, people, checked: int) -> None:
    """Registrations for a meeting that already happened (written directly)."""
    for i, person in enumerate(people):
        db.session.add(Registration(
            meeting_id=meeting.id, user_id=person.id, state=RegistrationState.REGISTERED,
            code=services.new_code(),
            queued_at=meeting.starts_at - timedelta(days=3), registered_at=meeting.starts_at - timedelta(days=3),
            checked_in_at=meeting.starts_at if i < checked else None,
        ))
    meeting.registered_count = len(people)
    meeting.checked_in_count = min(checked, len(people))


def build_meetings(ctx) -> None:
    now = utcnow().replace(second=0, microsecond=0)
    day = timedelta(days=1)
    residents = [u for u in ctx.residents if u.status.value == "active"]
    consultation = None
    try:
        from civic.consultations.models import Consultation, ConsultationState

        consultation = db.session.execute(
            select(Consultation).where(Consultation.state == ConsultationState.OPEN).order_by(Consultation.id).limit(1)
        ).scalar_one_or_none()
    except ImportError:  # pragma: no cover
        consultation = None
    cdept = None
    if consultation is not None:
        cdept = next((slug for slug, d in ctx.departments.items() if d.id == consultation.department_id), None)

    welcome = {"en": "Welcome and introductions", "fr": "Accueil et présentations", "es": "Bienvenida y presentaciones", "ar": "الترحيب والتعارف"}
    questions = {"en": "Questions from residents", "fr": "Questions des habitants", "es": "Preguntas de los vecinos", "ar": "أسئلة السكان"}
    next_steps = {"en": "Next steps", "fr": "Prochaines étapes", "es": "Próximos pasos", "ar": "الخطوات التالية"}

    # ---- past meetings (minutes published) ------------------------------------------
    past = _meeting(
        ctx, "urban-planning", start=now - 12 * day, hours=2, type_=MeetingType.IN_PERSON, zone="Europe/Madrid",
        locale="fr", address="Salle des fêtes, 2 place de la Mairie",
        texts={"fr": ("Réunion publique : le réaménagement des berges", "Présentation du projet et échanges."),
               "en": ("Public meeting: redesigning the river banks", "The project presented, then questions.")},
        agenda=[(15, welcome), (60, questions), (15, next_steps)],
        consultation=consultation if cdept == "urban-planning" else None,
    )
    _past_attendance(past, residents[:8], checked=6)
    fr = past.translation("fr")
    fr.minutes = ("Une quarantaine de personnes ont participé.\n\n"
                  "* Les bancs seront placés à l'ombre.\n* Un second passage piéton est demandé.\n")
    past.translation("en").minutes = ("About forty people took part.\n\n"
                                      "* Benches will go in the shade.\n* A second crossing is requested.\n")
    past.attendee_count = 41
    past.recording_url = "https://video.civic.example/recordings/river-banks"
    past.minutes_published_at = past.ends_at + 2 * day
    db.session.add(MeetingOutcome(meeting_id=past.id, position=1, locale="fr",
                                  title="Proposition : des bancs à l'ombre", url="https://civic.example/proposals/benches"))

    past_online = _meeting(
        ctx, "social-services", start=now - 5 * day, hours=1.5, type_=MeetingType.ONLINE, zone="Asia/Hebron",
        locale="ar", texts={"ar": ("لقاء عبر الإنترنت: خدمات كبار السن", "عرض الخدمات الجديدة والأسئلة.")},
        agenda=[(10, welcome), (60, questions)],
    )
    _past_attendance(past_online, residents[3:9], checked=4)

    past_hybrid = _meeting(
        ctx, "environment", start=now - 20 * day, hours=2, type_=MeetingType.HYBRID, zone="America/Bogota",
        locale="es", address="Biblioteca Pública, Carrera 7 # 6-16",
        texts={"es": ("Jornada híbrida: huertos urbanos", "Balance del primer año de huertos.")},
        agenda=[(20, welcome), (80, questions)],
    )
    _past_attendance(past_hybrid, residents[:5], checked=5)

    # ---- live now ---------------------------------------------------------------------------
    _meeting(
        ctx, "mobility", start=now - timedelta(minutes=30), hours=2, type_=MeetingType.ONLINE, zone="Asia/Seoul",
        locale="en", registration=RegistrationMode.OFF,
        texts={"en": ("Live Q&A: night buses", "Ask the mobility team anything about night buses."),
               "fr": ("Questions en direct : bus de nuit", "Posez vos questions sur les bus de nuit.")},
        agenda=[(10, welcome), (90, questions), (20, next_steps)],
    )

    # ---- upcoming -----------------------------------------------------------------------------
    full = _meeting(
        ctx, "urban-planning", start=now + 6 * day, hours=2, type_=MeetingType.IN_PERSON, zone="Europe/Madrid",
        locale="es", registration=RegistrationMode.LIMITED, capacity=4,
        address="Centro cívico, Calle Mayor 12, Madrid",
        notes={"es": "Entrada sin escalones por la calle lateral. Bucle magnético en la sala 2.",
               "en": "Step-free entrance on the side street. Hearing loop in room 2."},
        texts={"es": ("Taller: la nueva plaza", "Dibujamos juntos la plaza del barrio."),
               "en": ("Workshop: the new square", "Let us draw the neighbourhood square together.")},
        agenda=[(15, welcome), (75, {"es": "Taller en grupos", "en": "Group workshop"}), (30, next_steps)],
        consultation=consultation if cdept == "urban-planning" else None,
    )
    needs = [
        {"sign_language": "LSE (lengua de signos española)"},
        {"step_free": True, "childcare": True},
        {"captions": True, "hearing_loop": True},
        {"interpretation_language": "Arabic"},
        {"interpretation_language": "Arabic", "other": "A chair near the door, please."},
        {},
    ]
    for person, need in zip(residents[:6], needs, strict=False):
        _register(full, person, **need)  # the last two join the waiting list

    online = _meeting(
        ctx, "culture", start=now + 2 * day + timedelta(hours=3), hours=1.5, type_=MeetingType.ONLINE,
        zone="Asia/Seoul", locale="fr", registration=RegistrationMode.OPEN,
        texts={"fr": ("Conversation en ligne : le musée ouvert le soir", "Faut-il ouvrir le musée le soir ?")},
        agenda=[(10, welcome), (70, questions)],
    )
    for person in residents[2:7]:
        _register(online, person, captions=person.locale == "en")

    hybrid = _meeting(
        ctx, "environment", start=now + 15 * day, hours=2.5, type_=MeetingType.HYBRID, zone="America/Bogota",
        locale="es", registration=RegistrationMode.LIMITED, capacity=30,
        address="Parque Central, pabellón norte",
        texts={"es": ("Asamblea híbrida: árboles en las calles", "¿Dónde plantamos los próximos 500 árboles?"),
               "en": ("Hybrid assembly: street trees", "Where should the next 500 trees go?"),
               "ar": ("اجتماع مختلط: أشجار الشوارع", "أين نزرع الأشجار الخمسمائة القادمة؟")},
        agenda=[(15, welcome), (90, questions), (30, next_steps)],
    )
    for person in residents[5:10]:
        _register(hybrid, person, sign_language="LSC" if person.locale == "es" else None)

    _meeting(
        ctx, "social-services", start=now + 9 * day, hours=2, type_=MeetingType.IN_PERSON, zone="Asia/Hebron",
        locale="ar", registration=RegistrationMode.OFF, address="مركز الحي، شارع السلام 4",
        texts={"ar": ("لقاء الحي: المساعدة المنزلية", "تعرفوا على خدمات المساعدة المنزلية الجديدة."),
               "fr": ("Rencontre de quartier : l'aide à domicile", "Découvrez les nouveaux services d'aide à domicile.")},
        agenda=[(20, welcome), (60, questions)],
    )

    cancelled = _meeting(
        ctx, "mobility", start=now + 4 * day, hours=1, type_=MeetingType.HYBRID, zone="Europe/Madrid",
        locale="en", address="Town hall, room B", state=MeetingState.CANCELLED,
        texts={"en": ("Cycle parking walkabout", "A walk to choose the new cycle parking spots.")},
        agenda=[],
    )
    cancelled.sequence = 1

    # ---- a date poll in progress ---------------------------------------------------------
    poll = SchedulingPoll(
        department_id=ctx.departments["mobility"].id,
        consultation_id=consultation.id if cdept == "mobility" else None,
        state=PollState.OPEN, locale="en", type=MeetingType.HYBRID, timezone="Europe/Madrid",
        title="Meeting about the tram extension: which evening?",
        description="Tell us when you can come; we will pick the date most people can make.",
        creator_id=next(u for k, u in ctx.users.items() if k == "staff.mobility").id,
    )
    poll.slots = [PollSlot(starts_at=now + (20 + i) * day, ends_at=now + (20 + i) * day + timedelta(hours=2))
                  for i in range(3)]
    db.session.add(poll)
    db.session.flush()
    choices = list(PollChoice)
    for i, person in enumerate(residents[:7]):
        for j, slot in enumerate(poll.slots):
            choice = choices[(i + j) % 3]
            db.session.add(PollAnswer(poll_id=poll.id, slot_id=slot.id, user_id=person.id, choice=choice))
            if choice == PollChoice.YES:
                slot.yes_count += 1
            elif choice == PollChoice.IF_NEED_BE:
                slot.maybe_count += 1
            else:
                slot.no_count += 1
        poll.respondent_count += 1
    db.session.flush()
