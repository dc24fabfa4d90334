"""Languages: locale selection order, html lang/dir, Babel formatting, complete catalogs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from civic.core.templating import datetime_filter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHIPPED = ("en", "fr", "es", "ar")


def _lang_dir(html: str) -> tuple[str, str]:
    start = html.index("<html")
    tag = html[start : html.index(">", start)]
    lang = tag.split('lang="')[1].split('"')[0]
    direction = tag.split('dir="')[1].split('"')[0]
    return lang, direction


def test_accept_language_decides_for_anonymous_visitors(client):
    html = client.get("/", headers={"Accept-Language": "ar,en;q=0.5"}).get_data(as_text=True)
    assert _lang_dir(html) == ("ar", "rtl")
    html = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"}).get_data(as_text=True)
    assert _lang_dir(html) == ("es", "ltr")


def test_site_default_when_nothing_matches(client):
    html = client.get("/", headers={"Accept-Language": "tlh"}).get_data(as_text=True)
    assert _lang_dir(html) == ("en", "ltr")


def test_switcher_choice_beats_accept_language_and_works_without_js(client):
    response = client.post("/language", data={"language": "fr", "next": "/"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    html = client.get("/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert _lang_dir(html) == ("fr", "ltr")


def test_switcher_refuses_unknown_language_and_external_next(client):
    response = client.post("/language", data={"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _lang_dir(html)[0] == "es"


def test_saved_preference_beats_explicit_choice(client, login, resident, session):
    resident.locale = "ar"
    session.commit()
    login(resident)
    with client.session_transaction() as sess:
        sess["locale"] = "fr"
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert _lang_dir(html) == ("ar", "rtl")


def test_switching_language_signed_in_saves_the_preference(client, login, resident, session):
    login(resident)
    client.post("/language", data={"language": "es", "next": "/"})
    session.refresh(resident)
    assert resident.locale == "es"


def test_switcher_offers_each_language_in_its_own_language(client):
    html = client.get("/").get_data(as_text=True)
    assert 'lang="fr" dir="ltr"' in html and ">Français<" in html
    assert 'lang="ar" dir="rtl"' in html and ">العربية<" in html
    assert 'lang="es" dir="ltr"' in html and ">Español<" in html


def test_dates_follow_the_viewer_locale_and_time_zone(app):
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        from flask import g
        from flask_babel import refresh

        with force_locale("fr"):
            g.viewer_timezone = "Asia/Seoul"
            app.extensions["babel"].instance  # noqa: B018 - ensure babel is initialised
            refresh()
            text = datetime_filter(moment, "long")
    # 23:30 UTC on 1 March is 08:30 on 2 March in Seoul; French month name.
    assert "mars" in text


def _extract_pot(tmp_path) -> str:
    pot = tmp_path / "messages.pot"
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "civic"],
        cwd=ROOT, check=True, capture_output=True,
    )
    return str(pot)


@pytest.mark.parametrize("locale", SHIPPED)
def test_shipped_catalog_is_complete_and_not_fuzzy(tmp_path, locale):
    """Every message in the code has a non-fuzzy translation in every shipped language."""
    with open(_extract_pot(tmp_path), "rb") as fh:
        template = read_po(fh)
    po_path = os.path.join(ROOT, "translations", locale, "LC_MESSAGES", "messages.po")
    assert os.path.exists(po_path), f"missing catalog {po_path}"
    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale=locale)
    problems = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        if found is None:
            problems.append(f"missing: {message.id!r}")
        elif found.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif isinstance(found.string, tuple | list):
            if not all(found.string) or len(found.string) < catalog.num_plurals:
                problems.append(f"plural forms incomplete: {message.id!r}")
        elif not found.string:
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, f"{locale}: {len(problems)} problems (run `flask translate update`): " + "; ".join(problems[:40])
