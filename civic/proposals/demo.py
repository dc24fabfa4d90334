"""Demo proposals: about 300 ideas in French, English, Spanish and Arabic, with supports and
official answers in every state. Runs after the consultations builder (it uses their
consultations, topics and areas) and inserts in bulk so ``flask demo-data`` stays fast.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import insert, select

from civic.core.time import utcnow
from civic.extensions import db

TOTAL = 300

THINGS = {
    "en": ["trees", "benches", "bike racks", "drinking fountains", "street lights", "flower beds",
           "public toilets", "bus shelters", "playgrounds", "recycling bins"],
    "fr": ["arbres", "bancs", "arceaux à vélos", "fontaines à eau", "lampadaires", "massifs de fleurs",
           "toilettes publiques", "abribus", "aires de jeux", "bacs de tri"],
    "es": ["árboles", "bancos", "aparcabicis", "fuentes de agua", "farolas", "jardineras",
           "aseos públicos", "marquesinas", "parques infantiles", "contenedores de reciclaje"],
    "ar": ["أشجار", "مقاعد", "مواقف دراجات", "نوافير مياه للشرب", "أعمدة إنارة", "أحواض زهور",
           "مراحيض عامة", "مظلات حافلات", "ملاعب أطفال", "حاويات إعادة تدوير"],
}
PLACES = {
    "en": ["the old town", "the market square", "the riverside", "the station district",
           "the north park", "the school street", "the harbour", "the hospital area"],
    "fr": ["la vieille ville", "la place du marché", "les quais", "le quartier de la gare",
           "le parc nord", "la rue des écoles", "le port", "le quartier de l'hôpital"],
    "es": ["el casco antiguo", "la plaza del mercado", "la ribera", "el barrio de la estación",
           "el parque norte", "la calle de los colegios", "el puerto", "la zona del hospital"],
    "ar": ["البلدة القديمة", "ساحة السوق", "ضفة النهر", "حي المحطة",
           "الحديقة الشمالية", "شارع المدارس", "الميناء", "منطقة المستشفى"],
}
TITLES = {
    "en": ["More {thing} in {place}", "New {thing} for {place}", "Repair the {thing} in {place}",
           "Let residents choose the {thing} of {place}", "Fewer cars, more {thing} in {place}"],
    "fr": ["Plus de {thing} dans {place}", "De nouveaux {thing} pour {place}",
           "Réparer les {thing} dans {place}", "Choisir ensemble les {thing} de {place}",
           "Moins de voitures, plus de {thing} dans {place}"],
    "es": ["Más {thing} en {place}", "Nuevos {thing} para {place}", "Reparar los {thing} de {place}",
           "Elegir entre vecinos los {thing} de {place}", "Menos coches y más {thing} en {place}"],
    "ar": ["المزيد من {thing} في {place}", "{thing} جديدة في {place}", "إصلاح {thing} في {place}",
           "إشراك السكان في اختيار {thing} في {place}", "سيارات أقل و{thing} أكثر في {place}"],
}
BODIES = {
    "en": "Many of us walk through {place} every day, and there are not enough **{thing}**.\n\n"
          "I propose that the city:\n\n- counts what is there today,\n- asks the neighbours where "
          "they are most needed,\n- installs the first ones before next summer.\n\nIt would make "
          "{place} more pleasant for children, older people and visitors.",
    "fr": "Nous sommes nombreux à traverser {place} chaque jour, et il manque des **{thing}**.\n\n"
          "Je propose que la ville :\n\n- recense ce qui existe aujourd'hui,\n- demande aux "
          "riverains où le besoin est le plus fort,\n- installe les premiers avant l'été prochain."
          "\n\n{place} deviendrait plus agréable pour les enfants, les aînés et les visiteurs.",
    "es": "Muchos cruzamos {place} cada día y faltan **{thing}**.\n\nPropongo que el "
          "ayuntamiento:\n\n- haga un inventario de lo que hay,\n- pregunte a los vecinos dónde "
          "hacen más falta,\n- instale los primeros antes del próximo verano.\n\n{place} sería "
          "más agradable para la infancia, las personas mayores y quien nos visita.",
    "ar": "يمرّ كثير منا في {place} كل يوم، ولا توجد **{thing}** كافية.\n\nأقترح أن تقوم "
          "البلدية بما يلي:\n\n- إحصاء الموجود حالياً،\n- سؤال السكان عن الأماكن الأكثر حاجة،\n- "
          "تركيب الدفعة الأولى قبل الصيف القادم.\n\nسيجعل ذلك {place} أجمل للأطفال وكبار السن والزوار.",
}
ANSWERS = {
    "under_evaluation": {
        "en": "Our teams are studying this proposal: cost, location and maintenance. We will answer by the end of the quarter.",
        "fr": "Nos équipes étudient cette proposition : coût, emplacement et entretien. Nous répondrons d'ici la fin du trimestre.",
        "es": "Nuestros equipos estudian esta propuesta: coste, ubicación y mantenimiento. Responderemos antes de fin de trimestre.",
        "ar": "تدرس فرقنا هذا الاقتراح من حيث التكلفة والموقع والصيانة. سنرد قبل نهاية الربع.",
    },
    "accepted": {
        "en": "Accepted. The work is planned in next year's budget; the neighbours will be consulted on the exact places.",
        "fr": "Acceptée. Les travaux sont prévus au budget de l'an prochain ; les riverains seront consultés sur les emplacements.",
        "es": "Aceptada. La obra está prevista en el presupuesto del año próximo; se consultará a los vecinos sobre los lugares.",
        "ar": "تمت الموافقة. الأعمال مدرجة في ميزانية العام المقبل، وسيُستشار السكان في المواقع الدقيقة.",
    },
    "rejected": {
        "en": "We cannot do this here: underground networks leave no room. We are looking for a nearby street instead.",
        "fr": "Nous ne pouvons pas le faire ici : les réseaux souterrains ne laissent pas de place. Nous cherchons une rue voisine.",
        "es": "No podemos hacerlo aquí: las redes subterráneas no dejan espacio. Buscamos una calle cercana.",
        "ar": "لا يمكننا تنفيذ ذلك هنا لأن الشبكات تحت الأرض لا تترك مساحة. نبحث عن شارع قريب بديل.",
    },
    "implemented": {
        "en": "Done: the first ones were installed this spring. Thank you for the idea.",
        "fr": "C'est fait : les premiers ont été installés ce printemps. Merci pour l'idée.",
        "es": "Hecho: los primeros se instalaron esta primavera. Gracias por la idea.",
        "ar": "تم التنفيذ: رُكّبت الدفعة الأولى هذا الربيع. شكراً على الفكرة.",
    },
}
LANGS = ("fr", "en", "es", "ar")


def _public_consultations():
    from civic.consultations.models import PUBLIC_STATES, Consultation

    rows = db.session.execute(select(Consultation).order_by(Consultation.id)).unique().scalars()
    return [c for c in rows if c.current_state in PUBLIC_STATES]


def _states_for(consultation, rng):
    """A believable life cycle: open consultations are mostly unanswered."""
    from civic.consultations.models import ConsultationState
    from civic.proposals.models import ProposalState as S

    if consultation.current_state == ConsultationState.OPEN:
        return rng.choices(
            [S.PUBLISHED, S.UNDER_EVALUATION, S.ACCEPTED, S.REJECTED, S.WITHDRAWN, S.DRAFT],
            weights=[70, 10, 4, 4, 6, 6],
        )[0]
    return rng.choices(
        [S.PUBLISHED, S.UNDER_EVALUATION, S.ACCEPTED, S.REJECTED, S.IMPLEMENTED, S.WITHDRAWN],
        weights=[20, 20, 20, 20, 12, 8],
    )[0]


def build_proposals(ctx) -> None:
    from civic.consultations.models import Area, Topic
    from civic.proposals.models import (
        Proposal,
        ProposalAnswer,
        ProposalAnswerText,
        ProposalSettings,
        ProposalState,
        Support,
        SupportBudget,
    )

    consultations = _public_consultations()
    if not consultations:
        return
    rng = ctx.rng
    now = utcnow()
    people = list(ctx.users.values())
    residents = ctx.residents or people
    topics = list(db.session.execute(select(Topic.id)).scalars())
    areas = list(db.session.execute(select(Area.id)).scalars())
    staff_of: dict[int, list] = defaultdict(list)
    for u in people:
        for m in u.memberships:
            staff_of[m.department_id].append(u)

    # Settings: every demo consultation takes proposals; one limits supports per person.
    settings = {}
    for i, c in enumerate(consultations):
        settings[c.id] = {
            "consultation_id": c.id,
            "accepts_proposals": True,
            "verified_only": i % 4 == 3,
            "max_supports": 5 if i % 3 == 1 else None,
            "support_threshold": 8 if i % 2 == 0 else 12,
            "published_count": 0,
            "updated_at": now,
        }

    # Titles: every (language, template, thing, place) at most once.
    combos = [
        (lang, t, th, pl)
        for lang in LANGS
        for t in range(len(TITLES[lang]))
        for th in range(len(THINGS[lang]))
        for pl in range(len(PLACES[lang]))
    ]
    rng.shuffle(combos)
    weights = [3 if c.current_state.value == "open" else 2 for c in consultations]
    picks = rng.choices(consultations, weights=weights, k=TOTAL)

    rows, plans = [], []
    used: dict[tuple[int, int], int] = defaultdict(int)
    for n, consultation in enumerate(picks):
        lang, t, th, pl = combos[n % len(combos)]
        thing, place = THINGS[lang][th], PLACES[lang][pl]
        author = rng.choice(residents)
        state = _states_for(consultation, rng)
        opens = consultation.opens_at or (now - timedelta(days=60))
        end = min(consultation.closes_at or now, now)
        span = max((end - opens).total_seconds(), 3600)
        created = opens + timedelta(seconds=rng.uniform(0, span * 0.9))
        supporters = []
        s = settings[consultation.id]
        if state != ProposalState.DRAFT:
            s["published_count"] += 1
            eligible = [
                u for u in people
                if u.id != author.id and (not s["verified_only"] or u.verified_at is not None)
            ]
            # A few popular ideas, many modest ones.
            k = min(len(eligible), int(rng.paretovariate(1.3)) - 1 + rng.randint(0, 3))
            for u in rng.sample(eligible, k):
                key = (u.id, consultation.id)
                if s["max_supports"] is not None and used[key] >= s["max_supports"]:
                    continue
                if state != ProposalState.WITHDRAWN:
                    used[key] += 1
                supporters.append(u.id)
        rows.append({
            "consultation_id": consultation.id,
            "author_id": author.id,
            "state": state,
            "title": TITLES[lang][t].format(thing=thing, place=place)[:150],
            "body": BODIES[lang].format(thing=thing, place=place),
            "topic_id": rng.choice(topics) if topics else None,
            "area_id": rng.choice(areas) if areas else None,
            "place": place if rng.random() < 0.4 else "",
            "language": lang,
            "support_count": len(supporters),
            "comment_count": 0,
            "created_at": created,
            "updated_at": created,
            "published_at": None if state == ProposalState.DRAFT else created,
            "state_changed_at": created + timedelta(days=rng.randint(3, 20))
            if state not in (ProposalState.DRAFT, ProposalState.PUBLISHED) else None,
        })
        plans.append((consultation, supporters, state))

    db.session.execute(insert(ProposalSettings), list(settings.values()))
    ids = list(
        db.session.execute(
            insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True), rows
        ).scalars()
    )

    support_rows, answer_rows, answer_meta = [], [], []
    for pid, row, (consultation, supporters, state) in zip(ids, rows, plans, strict=True):
        for uid in supporters:
            support_rows.append({
                "proposal_id": pid,
                "user_id": uid,
                "created_at": row["created_at"] + timedelta(hours=rng.randint(1, 200)),
            })
        answered = {
            ProposalState.UNDER_EVALUATION: [ProposalState.UNDER_EVALUATION],
            ProposalState.ACCEPTED: [ProposalState.UNDER_EVALUATION, ProposalState.ACCEPTED],
            ProposalState.REJECTED: [ProposalState.REJECTED],
            ProposalState.IMPLEMENTED: [ProposalState.ACCEPTED, ProposalState.IMPLEMENTED],
        }.get(state, [])
        previous = ProposalState.PUBLISHED
        staff = staff_of.get(consultation.department_id) or [None]
        for step, new_state in enumerate(answered):
            when = row["state_changed_at"] - timedelta(days=(len(answered) - 1 - step) * 7)
            answer_rows.append({
                "proposal_id": pid,
                "state": new_state,
                "previous_state": previous,
                "author_id": getattr(rng.choice(staff), "id", None),
                "created_at": when,
            })
            locales = {consultation.default_locale, row["language"]} & set(LANGS) or {"en"}
            answer_meta.append((new_state, locales))
            previous = new_state

    if support_rows:
        db.session.execute(insert(Support), support_rows)
    budget_rows = [
        {"user_id": uid, "consultation_id": cid, "used": n} for (uid, cid), n in used.items() if n
    ]
    if budget_rows:
        db.session.execute(insert(SupportBudget), budget_rows)
    if answer_rows:
        answer_ids = list(
            db.session.execute(
                insert(ProposalAnswer).returning(ProposalAnswer.id, sort_by_parameter_order=True),
                answer_rows,
            ).scalars()
        )
        text_rows = [
            {"answer_id": aid, "locale": code, "body": ANSWERS[new_state.value][code]}
            for aid, (new_state, locales) in zip(answer_ids, answer_meta, strict=True)
            for code in sorted(locales)
        ]
        db.session.execute(insert(ProposalAnswerText), text_rows)
    db.session.flush()
    ctx.extra["proposals"] = len(ids)
