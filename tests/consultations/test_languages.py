"""Texts in several languages, and the fallback to the consultation's main language."""

from __future__ import annotations

from civic.consultations.models import QuestionKind
from civic.extensions import db
from tests.consultations.conftest import make_consultation, make_question, make_section

NOTE = "This text is not available in your language"


def _page(client, cid, lang):
    client.post("/language", data={"language": lang, "next": "/"})
    return client.get(f"/consultations/{cid}").get_data(as_text=True)


def test_missing_language_falls_back_with_lang_and_a_note(client, department):
    c = make_consultation(department, "open", locale="fr", title="Pistes cyclables", summary="Où les mettre ?")
    make_section(c, 1, title="Article", body="<p>Le texte</p>", locale="fr")
    page = _page(client, c.id, "en")
    assert '<h1 id="consultation-title" lang="fr" dir="ltr">Pistes cyclables</h1>' in page
    assert NOTE in page
    assert '<span lang="fr" dir="ltr">Français</span>' in page  # the language's own name, marked
    assert '<div lang="fr" dir="ltr" class="lead">' in page

    page = _page(client, c.id, "fr")
    assert '<h1 id="consultation-title">Pistes cyclables</h1>' in page
    assert "pas disponible" not in page and NOTE not in page


def test_a_right_to_left_fallback_gets_dir_rtl(client, department):
    c = make_consultation(department, "open", locale="ar", title="مسارات الدراجات")
    page = _page(client, c.id, "es")
    assert 'lang="ar" dir="rtl">مسارات الدراجات</h1>' in page


def test_an_available_translation_is_used(client, department):
    c = make_consultation(department, "open", locale="fr", title="Pistes cyclables", translations={"es": "Carriles bici"})
    page = _page(client, c.id, "es")
    assert '<h1 id="consultation-title">Carriles bici</h1>' in page
    assert 'class="notice language-fallback"' not in page


def test_sections_and_questions_fall_back_each_on_their_own(client, department):
    c = make_consultation(department, "open", locale="en", title="Cycle lanes", translations={"fr": "Pistes cyclables"})
    make_section(c, 1, title="Article", body="<p>Only in English</p>", locale="en")
    make_question(c, QuestionKind.SINGLE, ["North", "South"], prompt="Which bank?", locale="en")
    page = _page(client, c.id, "fr")
    assert '<h1 id="consultation-title">Pistes cyclables</h1>' in page
    section = page.split('id="section-1"', 1)[1].split("</li>", 1)[0]
    assert '<span lang="en" dir="ltr">Article 1</span>' in section
    assert 'class="meta section-fallback"' in section  # "not available in your language"
    assert '<span lang="en" dir="ltr">Which bank?</span>' in page
    english = _page(client, c.id, "en")
    assert "section-fallback" not in english


def test_staff_edit_each_language(client, login, department, staff):
    c = make_consultation(department, "draft", locale="en", title="Cycle lanes")
    login(staff)
    form = client.get(f"/consultations/{c.id}/text/ar").get_data(as_text=True)
    assert 'lang="ar"' in form and 'dir="rtl"' in form
    response = client.post(
        f"/consultations/{c.id}/text/ar",
        data={"title": "مسارات الدراجات", "summary": "أين نضعها؟", "body": "<h2>السياق</h2><p>نص</p><script>x()</script>", "easy_read": ""},
    )
    assert response.status_code == 302
    db.session.expire_all()
    tr = c.translation("ar")
    assert tr.title == "مسارات الدراجات"
    page = _page(client, c.id, "ar")
    assert "<script>" not in page
    assert "<h4>السياق</h4>" in page  # staff headings sit below the page's own
    # The main language cannot be removed; another one can.
    client.post("/language", data={"language": "en", "next": "/"})
    assert "The default language cannot be removed." in client.post(f"/consultations/{c.id}/text/en/delete", follow_redirects=True).get_data(as_text=True)
    assert client.post(f"/consultations/{c.id}/text/ar/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(type(c), c.id).translation("ar") is None
