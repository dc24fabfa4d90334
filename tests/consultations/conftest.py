"""Helpers for the consultations tests: consultations in every state, questions, a frozen clock,
a private upload folder."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from civic.consultations.models import (
    Consultation,
    ConsultationSection,
    ConsultationState,
    ConsultationTranslation,
    Question,
    QuestionKind,
    QuestionOption,
    ResultsVisibility,
    report_due,
)
from civic.extensions import db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

#: (stored state, opens_at, closes_at) around NOW for each state.
STATES = {
    "draft": (ConsultationState.DRAFT, None, None),
    "scheduled": (ConsultationState.SCHEDULED, NOW + timedelta(days=5), NOW + timedelta(days=35)),
    "open": (ConsultationState.OPEN, NOW - timedelta(days=5), NOW + timedelta(days=25)),
    "closed": (ConsultationState.CLOSED, NOW - timedelta(days=40), NOW - timedelta(days=2)),
    "concluded": (ConsultationState.CONCLUDED, NOW - timedelta(days=120), NOW - timedelta(days=90)),
}


@pytest.fixture(autouse=True)
def clock():
    """Every consultations test runs at NOW; ``clock.move_to(...)`` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def upload_folder(request, tmp_path):
    """Uploaded files go to a temporary folder (only for tests that use the app)."""
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    old = app.config.get("UPLOAD_FOLDER")
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    yield tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = old


@pytest.fixture(autouse=True)
def _request_context(request):
    """Service-level tests run inside a request, as services do in real life (translated
    messages need one). Tests that use the test client get their own requests instead."""
    if "session" not in request.fixturenames or "client" in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


def make_consultation(
    department,
    state: str = "open",
    *,
    title: str = "Cycle lanes on the river bank",
    summary: str = "Where should the new cycle lanes go?",
    locale: str = "en",
    translations: dict[str, str] | None = None,
    verified_only: bool = False,
    results: ResultsVisibility = ResultsVisibility.AFTER_CLOSE,
    topics=(),
    area=None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    report: str = "",
    commit: bool = True,
) -> Consultation:
    stored, opens, closes = STATES[state]
    opens = opens_at or opens
    closes = closes_at or closes
    c = Consultation(
        department_id=department.id,
        state=stored,
        opens_at=opens,
        closes_at=closes,
        timezone="Europe/Paris",
        default_locale=locale,
        verified_only=verified_only,
        results_visibility=results,
        report_due_at=report_due(closes, 12),
        topics=list(topics),
        area_id=area.id if area is not None else None,
    )
    c.translations = [ConsultationTranslation(locale=locale, title=title, summary=summary, report=report)]
    for code, text in (translations or {}).items():
        c.translations.append(ConsultationTranslation(locale=code, title=text, summary=text))
    if state == "concluded":
        c.report_published_at = closes + timedelta(days=30)
        c.translations[0].report = report or "<p>We heard you.</p>"
    db.session.add(c)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return c


def make_question(
    consultation,
    kind: QuestionKind = QuestionKind.SINGLE,
    options: list[str] | None = None,
    *,
    prompt: str = "Which bank first?",
    locale: str = "en",
    max_choices: int | None = None,
    max_length: int | None = None,
    position: int | None = None,
    commit: bool = True,
) -> Question:
    q = Question(
        consultation_id=consultation.id,
        kind=kind,
        position=position or 1,
        prompt_translations={locale: prompt},
        max_choices=max_choices,
        max_length=max_length or (500 if kind == QuestionKind.FREE_TEXT else None),
    )
    if kind == QuestionKind.SCALE:
        q.options = [QuestionOption(position=v, value=v, label_translations={}) for v in range(1, 6)]
    elif kind != QuestionKind.FREE_TEXT:
        labels = options or ["North bank", "South bank", "Both"]
        q.options = [
            QuestionOption(position=i, label_translations={locale: label}) for i, label in enumerate(labels, 1)
        ]
    db.session.add(q)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return q


def make_section(consultation, number: int, title: str = "Article", body: str = "<p>Text</p>", locale: str = "en"):
    s = ConsultationSection(
        consultation_id=consultation.id,
        position=number,
        number=number,
        translations={locale: {"title": f"{title} {number}", "body": body}},
    )
    consultation.last_section_number = max(consultation.last_section_number or 0, number)
    db.session.add(s)
    db.session.commit()
    return s


# ---- files ---------------------------------------------------------------------------------

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF_BYTES = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
WEBP_BYTES = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def odt_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        zf.writestr("content.xml", "<office:document-content/>")
        zf.writestr("META-INF/manifest.xml", "<manifest/>")
    return buf.getvalue()


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def plain_zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("notes.txt", "hello")
    return buf.getvalue()


def upload(data: bytes, name: str):
    return (io.BytesIO(data), name)
