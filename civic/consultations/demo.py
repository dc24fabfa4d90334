"""Demo consultations: every state (draft, scheduled, open, closed with an overdue report,
concluded), in French, English, Spanish and Arabic, with topics, areas, sections, questions of
every kind, residents' answers (through the real answer service, so counters are exact), a
document, a cover image and a published "you said, we did" report."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

from sqlalchemy import select

from civic.consultations import services, uploads
from civic.consultations.models import (
    Area,
    Attachment,
    AttachmentPurpose,
    Consultation,
    ConsultationSection,
    ConsultationState,
    ConsultationTranslation,
    Question,
    QuestionKind,
    QuestionOption,
    ResultsVisibility,
    Topic,
    report_due,
)
from civic.core.time import utcnow
from civic.extensions import db

TOPICS = {
    "cycling": {"en": "Cycling", "fr": "Vélo", "es": "Bicicleta", "ar": "الدراجات"},
    "green-spaces": {"en": "Parks and trees", "fr": "Parcs et arbres", "es": "Parques y árboles", "ar": "الحدائق والأشجار"},
    "public-transport": {"en": "Public transport", "fr": "Transports en commun", "es": "Transporte público", "ar": "النقل العام"},
    "social": {"en": "Social support", "fr": "Action sociale", "es": "Apoyo social", "ar": "الدعم الاجتماعي"},
    "culture": {"en": "Culture", "fr": "Culture", "es": "Cultura", "ar": "الثقافة"},
}
AREAS = {
    "riverside": {"en": "Riverside", "fr": "Les Berges", "es": "La Ribera", "ar": "ضفاف النهر"},
    "old-town": {"en": "Old Town", "fr": "Vieille ville", "es": "Casco antiguo", "ar": "البلدة القديمة"},
    "north-hills": {"en": "North Hills", "fr": "Coteaux nord", "es": "Colinas del norte", "ar": "التلال الشمالية"},
}


def _png(width: int = 96, height: int = 48, rgb=(11, 79, 156)) -> bytes:
    """A small valid PNG (a plain colour band), so the demo has a real cover image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _pdf(title: str) -> bytes:
    """A tiny valid one-page PDF saying ``title``."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 18 Tf 40 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def _consultation(ctx, dept: str, locale: str, texts: dict, *, state, opens, closes, topics=(), area=None,
                  results=ResultsVisibility.AFTER_CLOSE, verified_only=False) -> Consultation:
    department = ctx.departments[dept]
    staff = next(u for u in ctx.users.values() if any(m.department_id == department.id for m in u.memberships))
    c = Consultation(
        department_id=department.id,
        default_locale=locale,
        state=state,
        opens_at=opens,
        closes_at=closes,
        timezone="Europe/Paris",
        results_visibility=results,
        verified_only=verified_only,
        report_due_at=report_due(closes, 12),
        area_id=area.id if area is not None else None,
        topics=list(topics),
        creator_id=staff.id,
    )
    for code, (title, summary, body) in texts.items():
        c.translations.append(ConsultationTranslation(locale=code, title=title, summary=summary, body=body))
    db.session.add(c)
    db.session.flush()
    c.demo_staff = staff  # not mapped: who "wrote" it, for documents
    return c


def _sections(c: Consultation, items: list[dict[str, tuple[str, str]]]) -> None:
    for n, translations in enumerate(items, start=1):
        db.session.add(ConsultationSection(
            consultation_id=c.id, position=n, number=n,
            translations={code: {"title": t, "body": f"<p>{b}</p>"} for code, (t, b) in translations.items()},
        ))
    c.last_section_number = len(items)


def _question(c: Consultation, position: int, kind: QuestionKind, prompt: dict, options: list[dict] | None = None,
              *, max_choices=None, max_length=None, hint: dict | None = None) -> Question:
    q = Question(consultation_id=c.id, position=position, kind=kind, prompt_translations=prompt,
                 hint_translations=hint or {}, max_choices=max_choices,
                 max_length=max_length if kind == QuestionKind.FREE_TEXT else None)
    if kind == QuestionKind.SCALE:
        q.options = [QuestionOption(position=v, value=v, label_translations={}) for v in range(1, 6)]
    else:
        q.options = [QuestionOption(position=i, label_translations=o) for i, o in enumerate(options or [], start=1)]
    db.session.add(q)
    db.session.flush()
    return q


IDEAS = [
    "Plus de bancs à l'ombre, s'il vous plaît.",
    "Please keep the path lit at night; I walk home late.",
    "Que las bicis y los peatones tengan carriles separados.",
    "نرجو توفير مقاعد ومياه للشرب قرب الملعب.",
    "A quiet area for older people and for people who need calm.",
    "Des toilettes publiques accessibles en fauteuil roulant.",
]


def _answer_everyone(ctx, c: Consultation, share: float = 0.8) -> None:
    """Residents answer through the real service (it checks and counts exactly)."""
    questions = list(
        db.session.execute(
            select(Question).where(Question.consultation_id == c.id).order_by(Question.position)
        ).scalars()
    )
    people = [u for u in ctx.residents if u.status.value == "active"]
    ctx.rng.shuffle(people)
    for i, person in enumerate(people[: max(1, int(len(people) * share))]):
        if c.verified_only and not person.is_verified:
            continue
        values = {}
        for q in questions:
            ids = [o.id for o in q.options]
            if q.kind in (QuestionKind.SINGLE, QuestionKind.SCALE):
                values[q.id] = ctx.rng.choice(ids)
            elif q.kind == QuestionKind.MULTIPLE:
                values[q.id] = ctx.rng.sample(ids, ctx.rng.randint(1, q.max_choices or len(ids)))
            elif q.kind == QuestionKind.RANKING:
                values[q.id] = ctx.rng.sample(ids, len(ids))
            elif i % 2 == 0:
                values[q.id] = IDEAS[i % len(IDEAS)]
        if values:
            services.answer_questions(person, c, values)


def _attach(c: Consultation, data: bytes, name: str, title: str, language: str,
            purpose=AttachmentPurpose.DOCUMENT) -> None:
    kind = uploads.detect_type(data)
    checked = uploads.CheckedFile(data=data, content_type=kind, filename=uploads.clean_filename(name, kind))
    db.session.add(Attachment(
        consultation_id=c.id, purpose=purpose, title=title, language=language,
        filename=checked.filename, stored_name=uploads.store(checked), content_type=kind,
        size_bytes=len(data), position=1, creator_id=c.demo_staff.id,
    ))


def build_consultations(ctx) -> None:
    """Builder for ``flask demo-data`` (after the people and departments)."""
    now = utcnow()
    day = timedelta(days=1)
    topics = {slug: Topic(slug=slug, name_translations=names) for slug, names in TOPICS.items()}
    areas = {slug: Area(slug=slug, name_translations=names) for slug, names in AREAS.items()}
    db.session.add_all([*topics.values(), *areas.values()])
    db.session.flush()

    # 1. Open, in four languages, every kind of question, a document and a cover image.
    berges = _consultation(
        ctx, "urban-planning", "fr",
        {
            "fr": ("Réaménagement des berges", "La ville veut rendre les berges aux piétons et aux vélos. Où commencer, et que faut-il y trouver ?",
                   "<h2>Le projet</h2><p>Les berges entre le pont Neuf et l'écluse accueilleront une promenade continue.</p><ul><li>3 km de promenade</li><li>une piste cyclable séparée</li></ul><h3>Budget</h3><table><caption>Budget prévu</caption><thead><tr><th scope=\"col\">Poste</th><th scope=\"col\">Montant</th></tr></thead><tbody><tr><td>Promenade</td><td>2,4 M€</td></tr><tr><td>Plantations</td><td>0,6 M€</td></tr></tbody></table>"),
            "en": ("Redesigning the river banks", "The city wants to give the river banks back to people on foot and on bikes. Where should we start, and what should be there?",
                   "<h2>The project</h2><p>The banks between the New Bridge and the lock will get a continuous promenade.</p>"),
            "es": ("Reforma de las riberas", "La ciudad quiere devolver las riberas a peatones y ciclistas. ¿Por dónde empezar y qué debe haber?",
                   "<h2>El proyecto</h2><p>Las riberas entre el Puente Nuevo y la esclusa tendrán un paseo continuo.</p>"),
            "ar": ("إعادة تهيئة ضفاف النهر", "تريد المدينة إعادة ضفاف النهر للمشاة وراكبي الدراجات. من أين نبدأ، وماذا يجب أن نجد هناك؟",
                   "<h2>المشروع</h2><p>ستحصل الضفاف بين الجسر الجديد والهويس على ممشى متواصل.</p>"),
        },
        state=ConsultationState.OPEN, opens=now - 10 * day, closes=now + 25 * day,
        topics=[topics["cycling"], topics["green-spaces"]], area=areas["riverside"], results=ResultsVisibility.LIVE,
    )
    _sections(berges, [
        {"fr": ("Article 1 : la promenade", "Une promenade continue de 3 km, sans voitures."),
         "en": ("Article 1: the promenade", "A continuous 3 km promenade, car-free.")},
        {"fr": ("Article 2 : la piste cyclable", "Une piste séparée des piétons, à double sens."),
         "en": ("Article 2: the cycle lane", "A two-way lane, separate from people on foot.")},
        {"fr": ("Article 3 : les plantations", "Deux cents arbres et des prairies fleuries.")},
        {"fr": ("Article 4 : les horaires", "La promenade reste ouverte jour et nuit, éclairée.")},
    ])
    _question(berges, 1, QuestionKind.SINGLE,
              {"fr": "Par quelle rive commencer ?", "en": "Which bank first?", "es": "¿Qué orilla primero?", "ar": "بأي ضفة نبدأ؟"},
              [{"fr": "Rive nord", "en": "North bank", "es": "Orilla norte", "ar": "الضفة الشمالية"},
               {"fr": "Rive sud", "en": "South bank", "es": "Orilla sur", "ar": "الضفة الجنوبية"},
               {"fr": "Les deux en même temps", "en": "Both at once", "es": "Las dos a la vez", "ar": "الاثنتان معًا"}])
    _question(berges, 2, QuestionKind.MULTIPLE,
              {"fr": "Que voulez-vous trouver sur les berges ?", "en": "What would you like on the banks?", "es": "¿Qué le gustaría encontrar?", "ar": "ماذا تود أن تجد على الضفاف؟"},
              [{"fr": "Des bancs", "en": "Benches", "es": "Bancos", "ar": "مقاعد"},
               {"fr": "Des jeux pour enfants", "en": "Playgrounds", "es": "Juegos infantiles", "ar": "ألعاب للأطفال"},
               {"fr": "Des fontaines", "en": "Drinking fountains", "es": "Fuentes", "ar": "نوافير مياه"},
               {"fr": "Des toilettes", "en": "Toilets", "es": "Aseos", "ar": "دورات مياه"}],
              max_choices=2)
    _question(berges, 3, QuestionKind.RANKING,
              {"fr": "Classez ces priorités", "en": "Rank these priorities", "es": "Ordene estas prioridades", "ar": "رتّب هذه الأولويات"},
              [{"fr": "Sécurité", "en": "Safety", "es": "Seguridad", "ar": "السلامة"},
               {"fr": "Nature", "en": "Nature", "es": "Naturaleza", "ar": "الطبيعة"},
               {"fr": "Accessibilité", "en": "Accessibility", "es": "Accesibilidad", "ar": "إمكانية الوصول"}])
    _question(berges, 4, QuestionKind.SCALE,
              {"fr": "Ce projet vous plaît-il ?", "en": "Do you like this project?", "es": "¿Le gusta este proyecto?", "ar": "هل يعجبك هذا المشروع؟"},
              hint={"fr": "1 : pas du tout, 5 : beaucoup", "en": "1: not at all, 5: very much"})
    _question(berges, 5, QuestionKind.FREE_TEXT,
              {"fr": "Autre chose à nous dire ?", "en": "Anything else to tell us?", "es": "¿Algo más?", "ar": "هل لديك شيء آخر تقوله لنا؟"},
              max_length=1000)
    _attach(berges, _pdf("Plan des berges"), "plan-des-berges.pdf", "Plan des berges", "fr")
    berges.cover_image = uploads.store(uploads.CheckedFile(_png(), uploads.PNG, "berges.png"))
    berges.cover_content_type = uploads.PNG
    berges.cover_alt = "Bandeau bleu aux couleurs de la ville, au-dessus du titre du projet des berges"
    db.session.flush()
    _answer_everyone(ctx, berges)

    # 2. Open, English, verified residents only, results after closing.
    buses = _consultation(
        ctx, "mobility", "en",
        {"en": ("Night buses", "Should night buses run every night or only at weekends?", "<p>Three lines could run from midnight to 5 am.</p>"),
         "fr": ("Bus de nuit", "Les bus de nuit doivent-ils circuler tous les soirs ou seulement le week-end ?", "<p>Trois lignes pourraient circuler de minuit à 5 h.</p>")},
        state=ConsultationState.OPEN, opens=now - 3 * day, closes=now + 11 * day,
        topics=[topics["public-transport"]], verified_only=True,
    )
    _question(buses, 1, QuestionKind.SINGLE, {"en": "When should night buses run?", "fr": "Quand les bus de nuit doivent-ils circuler ?"},
              [{"en": "Every night", "fr": "Tous les soirs"}, {"en": "Friday and Saturday", "fr": "Vendredi et samedi"}, {"en": "Not at all", "fr": "Jamais"}])
    _question(buses, 2, QuestionKind.SCALE, {"en": "How safe do you feel waiting at night?", "fr": "Vous sentez-vous en sécurité en attendant la nuit ?"})
    db.session.flush()
    _answer_everyone(ctx, buses, share=0.5)

    # 3. Scheduled, Spanish.
    arbolado = _consultation(
        ctx, "environment", "es",
        {"es": ("Plan de arbolado urbano", "¿Dónde plantar los próximos mil árboles?", "<p>La ciudad plantará mil árboles en tres años.</p>")},
        state=ConsultationState.SCHEDULED, opens=now + 5 * day, closes=now + 40 * day,
        topics=[topics["green-spaces"]], area=areas["north-hills"],
    )
    _question(arbolado, 1, QuestionKind.MULTIPLE, {"es": "¿Dónde plantar?"},
              [{"es": "Calles"}, {"es": "Patios de colegio"}, {"es": "Plazas"}], max_choices=2)

    # 4. Draft, Arabic.
    _consultation(
        ctx, "social-services", "ar",
        {"ar": ("خطة الخدمات الاجتماعية للأحياء", "كيف نقرّب الخدمات الاجتماعية من سكان الأحياء؟", "<p>مسودة قيد الإعداد.</p>")},
        state=ConsultationState.DRAFT, opens=None, closes=None, topics=[topics["social"]],
    )

    # 5. Closed long ago, report overdue, French.
    marche = _consultation(
        ctx, "culture", "fr",
        {"fr": ("Horaires du marché couvert", "Faut-il ouvrir le marché couvert le dimanche ?", "<p>Le marché est fermé le dimanche depuis 1987.</p>")},
        state=ConsultationState.OPEN, opens=now - 120 * day, closes=now + day,
        topics=[topics["culture"]], area=areas["old-town"],
    )
    _question(marche, 1, QuestionKind.SINGLE, {"fr": "Ouvrir le dimanche ?"}, [{"fr": "Oui"}, {"fr": "Non"}, {"fr": "Le matin seulement"}])
    db.session.flush()
    _answer_everyone(ctx, marche)
    marche.closes_at = now - 100 * day
    marche.state = ConsultationState.CLOSED
    marche.report_due_at = report_due(marche.closes_at, 12)

    # 6. Concluded with a published report, four languages.
    velo = _consultation(
        ctx, "mobility", "en",
        {"en": ("Bike parking at stations", "How many bike spaces do stations need?", "<p>Every station will get covered parking.</p>"),
         "fr": ("Stationnement vélo dans les gares", "Combien de places vélo faut-il dans les gares ?", "<p>Chaque gare aura un abri.</p>"),
         "es": ("Aparcamiento de bicis en estaciones", "¿Cuántas plazas necesitan las estaciones?", "<p>Cada estación tendrá un aparcamiento cubierto.</p>"),
         "ar": ("مواقف الدراجات في المحطات", "كم عدد مواقف الدراجات التي تحتاجها المحطات؟", "<p>ستحصل كل محطة على موقف مسقوف.</p>")},
        state=ConsultationState.OPEN, opens=now - 200 * day, closes=now + day,
        topics=[topics["cycling"], topics["public-transport"]], results=ResultsVisibility.LIVE,
    )
    _question(velo, 1, QuestionKind.SINGLE,
              {"en": "Spaces per station", "fr": "Places par gare", "es": "Plazas por estación", "ar": "عدد المواقف لكل محطة"},
              [{"en": "50", "fr": "50"}, {"en": "100", "fr": "100"}, {"en": "200", "fr": "200"}])
    _question(velo, 2, QuestionKind.FREE_TEXT, {"en": "What would make you cycle to the station?", "fr": "Qu'est-ce qui vous ferait venir à vélo ?"}, max_length=800)
    db.session.flush()
    _answer_everyone(ctx, velo)
    velo.closes_at = now - 150 * day
    velo.state = ConsultationState.CONCLUDED
    velo.report_due_at = report_due(velo.closes_at, 12)
    velo.report_published_at = now - 90 * day
    velo.concluded_by_id = velo.demo_staff.id
    reports = {
        "en": "<h2>What you said</h2><p>Most of you asked for 100 covered spaces per station, and for secure lockers.</p><h2>What we will do</h2><ul><li>100 covered spaces at each of the 12 stations by next spring;</li><li>secure lockers at the 4 busiest stations.</li></ul>",
        "fr": "<h2>Ce que vous avez dit</h2><p>La plupart d'entre vous veulent 100 places couvertes par gare.</p><h2>Ce que nous allons faire</h2><p>100 places couvertes dans chacune des 12 gares d'ici au printemps.</p>",
        "es": "<h2>Lo que dijeron</h2><p>La mayoría pidió 100 plazas cubiertas por estación.</p>",
        "ar": "<h2>ما قلتموه</h2><p>طلب معظمكم 100 موقف مسقوف في كل محطة.</p>",
    }
    for tr in velo.translations:
        tr.report = reports.get(tr.locale, "")
    _attach(velo, _pdf("Bike parking report"), "bike-parking-report.pdf", "Full report", "en", AttachmentPurpose.REPORT)

    # 7. Closed recently, Spanish, report not due yet.
    ruido = _consultation(
        ctx, "environment", "es",
        {"es": ("Mapa del ruido", "¿Qué calles son más ruidosas por la noche?", "<p>Usaremos sus respuestas para el nuevo mapa del ruido.</p>"),
         "en": ("Noise map", "Which streets are noisiest at night?", "<p>Your answers feed the new noise map.</p>")},
        state=ConsultationState.OPEN, opens=now - 30 * day, closes=now + day,
        area=areas["old-town"],
    )
    _question(ruido, 1, QuestionKind.RANKING, {"es": "Ordene las fuentes de ruido", "en": "Rank the sources of noise"},
              [{"es": "Tráfico", "en": "Traffic"}, {"es": "Bares", "en": "Bars"}, {"es": "Obras", "en": "Building works"}])
    db.session.flush()
    _answer_everyone(ctx, ruido, share=0.6)
    ruido.closes_at = now - 5 * day
    ruido.state = ConsultationState.CLOSED
    ruido.report_due_at = report_due(ruido.closes_at, 12)

    db.session.flush()
    ctx.extra["consultations"] = 7
