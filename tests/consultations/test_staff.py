"""Staff build a consultation: create, sections, questions, settings."""

from __future__ import annotations

import re

from sqlalchemy import select

from civic.consultations.models import (
    Consultation,
    ConsultationSection,
    ConsultationState,
    Question,
    QuestionKind,
    Topic,
)
from civic.extensions import db
from tests.consultations.conftest import make_consultation, make_question

#: The section's comment count as shown: "3 comments", or the comments capability's link text.
SHOWS_COUNT = r"\b{n} comments|comments? on this section \({n}\)"


def test_create_a_draft(client, login, department, other_department, staff):
    topic = Topic(slug="cycling", name_translations={"en": "Cycling"})
    db.session.add(topic)
    db.session.commit()
    login(staff)
    form = client.get("/consultations/new").get_data(as_text=True)
    assert f'value="{other_department.id}"' not in form  # only their own departments
    response = client.post("/consultations/new", data={"department_id": other_department.id, "default_locale": "en",
                                                       "title": "X", "summary": "Y", "area_id": 0})
    assert response.status_code == 400
    response = client.post("/consultations/new", data={
        "department_id": department.id, "default_locale": "fr", "title": "Pistes cyclables",
        "summary": "Où ?", "body": "<p>Texte</p>", "area_id": 0, "topic_ids": [topic.id],
    })
    assert response.status_code == 302
    c = db.session.execute(select(Consultation)).scalar_one()
    assert c.state == ConsultationState.DRAFT and c.default_locale == "fr" and c.creator_id == staff.id
    assert [t.slug for t in c.topics] == ["cycling"]
    assert response.headers["Location"].endswith(f"/consultations/{c.id}/manage")
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "Preview." in page and "only its department" in page


def test_new_form_errors_are_summarised(client, login, staff):
    login(staff)
    response = client.post("/consultations/new", data={"title": "", "summary": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert 'href="#title"' in page and 'aria-describedby="title-error"' in page


def test_sections_keep_their_anchor_when_reordered(client, login, department, staff):
    c = make_consultation(department, "open", locale="en")
    login(staff)
    for title in ("Opening hours", "Prices", "Noise"):
        assert client.post(f"/consultations/{c.id}/sections/new?lang=en", data={"title": title, "body": f"<p>{title}</p>"}).status_code == 302
    rows = list(db.session.execute(select(ConsultationSection).order_by(ConsultationSection.position)).scalars())
    assert [(r.position, r.number) for r in rows] == [(1, 1), (2, 2), (3, 3)]
    noise = rows[2]

    assert client.post(f"/consultations/{c.id}/sections/{noise.id}/move", data={"direction": "up"}).status_code == 302
    assert client.post(f"/consultations/{c.id}/sections/{noise.id}/move", data={"direction": "up"}).status_code == 302
    # Already first: refused with a message.
    response = client.post(f"/consultations/{c.id}/sections/{noise.id}/move", data={"direction": "up"}, follow_redirects=True)
    assert "This item cannot move further." in response.get_data(as_text=True)
    db.session.expire_all()
    rows = list(db.session.execute(select(ConsultationSection).order_by(ConsultationSection.position)).scalars())
    assert [r.translations["en"]["title"] for r in rows] == ["Noise", "Opening hours", "Prices"]
    assert [r.anchor for r in rows] == ["section-3", "section-1", "section-2"]

    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert '<li id="section-3" class="draft-section">' in page
    assert '<h4 id="section-3-title">Section 1: <span>Noise</span></h4>' in page  # same language: no lang
    assert re.search(SHOWS_COUNT.format(n=0), page, re.IGNORECASE)

    # Translate one section; delete another; the numbers are never reused.
    assert client.post(f"/consultations/{c.id}/sections/{rows[0].id}/edit?lang=fr", data={"title": "Bruit", "body": "<p>Bruit</p>"}).status_code == 302
    assert client.post(f"/consultations/{c.id}/sections/{rows[1].id}/delete").status_code == 302
    assert client.post(f"/consultations/{c.id}/sections/new?lang=en", data={"title": "Trees", "body": ""}).status_code == 302
    db.session.expire_all()
    rows = list(db.session.execute(select(ConsultationSection).order_by(ConsultationSection.position)).scalars())
    assert [(r.position, r.number) for r in rows] == [(1, 3), (2, 2), (3, 4)]
    assert rows[0].translations["fr"] == {"title": "Bruit", "body": "<p>Bruit</p>"}


def test_sections_with_comments_cannot_be_deleted(client, login, department, staff):
    c = make_consultation(department, "open")
    s = ConsultationSection(consultation_id=c.id, position=1, number=1, translations={"en": {"title": "A", "body": ""}}, comment_count=3)
    db.session.add(s)
    db.session.commit()
    login(staff)
    response = client.post(f"/consultations/{c.id}/sections/{s.id}/delete", follow_redirects=True)
    assert "People have commented on this section" in response.get_data(as_text=True)
    assert db.session.get(ConsultationSection, s.id) is not None
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    section = page.split('id="section-1"', 1)[1].split("</li>", 1)[0]
    assert re.search(SHOWS_COUNT.format(n=3), section, re.IGNORECASE), section


def test_questions_are_built_translated_and_frozen_once_open(client, login, department, staff, clock):
    c = make_consultation(department, "scheduled", locale="en")
    login(staff)
    url = f"/consultations/{c.id}/questions/new?lang=en"
    response = client.post(url, data={"kind": "multiple", "prompt": "Which days?", "options": "Monday\nTuesday\n\nWednesday", "max_choices": 2})
    assert response.status_code == 302
    response = client.post(url, data={"kind": "single", "prompt": "Only one?", "options": "Yes"})
    assert response.status_code == 400
    assert "Give at least two options, one per line." in response.get_data(as_text=True)
    assert client.post(url, data={"kind": "scale", "prompt": "How happy?"}).status_code == 302
    assert client.post(url, data={"kind": "free_text", "prompt": "Anything else?", "max_length": 300}).status_code == 302

    qs = list(db.session.execute(select(Question).order_by(Question.position)).scalars())
    assert [q.kind for q in qs] == [QuestionKind.MULTIPLE, QuestionKind.SCALE, QuestionKind.FREE_TEXT]
    multi = qs[0]
    assert [o.label_translations["en"] for o in multi.options] == ["Monday", "Tuesday", "Wednesday"]
    assert multi.max_choices == 2
    assert [o.value for o in qs[1].options] == [1, 2, 3, 4, 5]
    assert qs[2].max_length == 300

    edit = f"/consultations/{c.id}/questions/{multi.id}/edit?lang=fr"
    response = client.post(edit, data={"kind": "multiple", "prompt": "Quels jours ?", "options": "Lundi\nMardi"})
    assert response.status_code == 400
    assert "Translate each of the 3 options" in response.get_data(as_text=True)
    response = client.post(edit, data={"kind": "multiple", "prompt": "Quels jours ?", "options": "Lundi\nMardi\nMercredi", "max_choices": 2})
    assert response.status_code == 302
    db.session.expire_all()
    multi = db.session.get(Question, multi.id)
    assert multi.prompt_translations == {"en": "Which days?", "fr": "Quels jours ?"}
    assert [o.label_translations for o in multi.options][0] == {"en": "Monday", "fr": "Lundi"}

    assert client.post(f"/consultations/{c.id}/questions/{qs[2].id}/move", data={"direction": "up"}).status_code == 302
    db.session.expire_all()
    assert [q.kind for q in db.session.execute(select(Question).order_by(Question.position)).scalars()] == [
        QuestionKind.MULTIPLE, QuestionKind.FREE_TEXT, QuestionKind.SCALE]

    clock.move_to(c.opens_at)
    login(staff)
    assert client.get(f"/consultations/{c.id}/questions/new").status_code == 403
    assert client.post(f"/consultations/{c.id}/questions/{multi.id}/delete").status_code == 403
    assert "Questions cannot change once the consultation has opened" in client.get(f"/consultations/{c.id}/manage").get_data(as_text=True)


def test_manage_page_lists_what_is_missing(client, login, department, staff):
    c = make_consultation(department, "draft")
    make_question(c)
    login(staff)
    page = client.get(f"/consultations/{c.id}/manage").get_data(as_text=True)
    assert "Set the opening and closing times." in page
    assert page.count("<h1>") == 1
    assert "Schedule this consultation" not in page
