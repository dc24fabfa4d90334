"""Translated, accessible error pages and request hardening."""

from __future__ import annotations

import pytest
from flask import abort

from civic import create_app
from civic.core.permissions import allow_anyone


@pytest.fixture
def error_app(database_url):
    app = create_app({"CIVIC_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "WTF_CSRF_ENABLED": True, "MAX_CONTENT_LENGTH": 1024})

    @app.route("/boom/<int:code>")
    @allow_anyone
    def boom(code):
        if code == 500:
            raise RuntimeError("unexpected")
        abort(code)

    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


@pytest.mark.parametrize("code", [400, 403, 404, 405, 429, 500])
def test_error_pages_are_full_accessible_pages(error_app, code):
    response = error_app.test_client().get(f"/boom/{code}")
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert html.count("<h1") == 1
    assert '<main id="main"' in html and 'class="skip-link"' in html
    assert "<html lang=" in html


def test_error_page_in_the_visitors_language(error_app):
    html = error_app.test_client().get("/boom/404", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html


def test_post_without_csrf_token_is_refused_with_a_clear_page(error_app):
    response = error_app.test_client().post("/language", data={"language": "fr"})
    assert response.status_code == 400
    assert "<h1" in response.get_data(as_text=True)


def test_too_large_body_gets_413_page(error_app):
    response = error_app.test_client().post("/language", data={"language": "x" * 5000})
    assert response.status_code == 413
    assert "<h1" in response.get_data(as_text=True)


def test_unknown_page_is_404(client):
    assert client.get("/no/such/page").status_code == 404
