"""The accessibility statement: generated from the contract, with a barrier report form."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from civic import create_app
from civic.extensions import db
from civic.pages.contract import CONTRACT
from civic.pages.models import BarrierReport, BarrierReportStatus


def _reports():
    return db.session.execute(sa.select(BarrierReport).order_by(BarrierReport.id)).scalars().all()


def test_statement_shows_what_the_browser_tests_check(client):
    html = client.get("/accessibility").get_data(as_text=True)
    assert "<h1>Accessibility statement</h1>" in html
    assert f"({CONTRACT.standard}), level {CONTRACT.level}" in html
    for tag in CONTRACT.axe_tags:
        assert tag in html
    assert f"at most {CONTRACT.budget.max_kilobytes} KB in at most {CONTRACT.budget.max_requests} requests" in html
    assert f"{CONTRACT.narrow_viewport_px} pixels wide" in html
    assert f"{CONTRACT.text_zoom_percent}%" in html
    assert "English, French, and Arabic" in html  # from CONTRACT.languages
    for journey in CONTRACT.journeys:
        assert str(journey.label) in html
    for limitation in CONTRACT.limitations:
        assert str(limitation) in html
    assert "last reviewed on November 22, 2026" in html


def test_statement_follows_the_contract_when_it_changes(client, monkeypatch):
    import dataclasses

    from civic.pages import views

    smaller = dataclasses.replace(
        CONTRACT, budget=dataclasses.replace(CONTRACT.budget, max_kilobytes=42, max_requests=4)
    )
    monkeypatch.setattr(views, "CONTRACT", smaller)
    html = client.get("/accessibility").get_data(as_text=True)
    assert "at most 42 KB in at most 4 requests" in html


def test_statement_is_translated_and_linked_from_every_footer(client):
    home = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    footer = home.split('<footer class="site-footer">', 1)[1]
    assert 'href="/accessibility"' in footer
    html = client.get("/accessibility", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in html


def test_report_is_stored_without_any_address_and_admins_are_told(
    client, session, admin, moderator, outbox
):
    response = client.post(
        "/accessibility",
        data={
            "page_address": "/sign-in",
            "description": "The error message is not read by my screen reader.",
            "email": "reader@example.org",
        },
        environ_base={"REMOTE_ADDR": "203.0.113.77", "HTTP_USER_AGENT": "NVDA-test-agent"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accessibility/report-sent")
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "your report was received" in confirmation

    [report] = _reports()
    assert report.page_address == "/sign-in"
    assert report.email == "reader@example.org"
    assert report.locale == "en"
    assert report.status == BarrierReportStatus.OPEN
    # Privacy: no column could hold the sender's address or browser, and none does.
    columns = {c.name for c in BarrierReport.__table__.columns}
    assert not {c for c in columns if re.search(r"^ip|_ip$|remote|agent|user_id|reporter", c)}
    row = db.session.execute(sa.text("SELECT * FROM barrier_report")).one()
    assert "203.0.113.77" not in repr(tuple(row)) and "NVDA" not in repr(tuple(row))

    assert [m["to"] for m in outbox] == [admin.email]  # administrators only, not moderators
    assert "/sign-in" in outbox[0]["text"] and "screen reader" in outbox[0]["text"]
    assert "reader@example.org" in outbox[0]["text"]
    assert "/accessibility/reports" in outbox[0]["text"]


def test_only_active_administrators_are_told(client, session, outbox):
    from civic.accounts.models import AccountStatus
    from tests.factories import UserFactory

    UserFactory(admin=True, locale="fr", email="admin-fr@example.org")
    UserFactory(admin=True, email="gone@example.org", status=AccountStatus.DISABLED)
    client.post("/accessibility", data={"page_address": "/", "description": "Contraste trop faible."})
    [message] = outbox
    assert message["to"] == "admin-fr@example.org"
    assert "Contraste trop faible." in message["text"]


def test_failed_report_shows_errors_and_keeps_what_was_typed(client, session):
    response = client.post(
        "/accessibility", data={"page_address": "/consultations", "description": "", "email": "not-an-email"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert 'href="#description"' in html and 'href="#email"' in html
    assert 'value="/consultations"' in html
    assert 'aria-invalid="true"' in html
    assert _reports() == []


def test_address_is_filled_in_from_the_page_the_person_came_from(client):
    html = client.get(
        "/accessibility", headers={"Referer": "http://localhost/register?next=%2F"}
    ).get_data(as_text=True)
    assert 'value="/register?next=%2F"' in html
    other_site = client.get("/accessibility", headers={"Referer": "https://evil.example/x"})
    assert "evil.example" not in other_site.get_data(as_text=True)


@pytest.fixture
def strict_app(app, database_url):
    """A second app on the same database with CSRF and rate limits switched on."""
    return create_app(
        {
            "CIVIC_ENV": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": True,
            "RATE_LIMIT_BARRIER_REPORT": "2 per hour",
        }
    )


def _csrf_token(client) -> str:
    html = client.get("/accessibility").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_report_needs_a_csrf_token(strict_app, session):
    client = strict_app.test_client()
    refused = client.post("/accessibility", data={"page_address": "/", "description": "x"})
    assert refused.status_code == 400
    accepted = client.post(
        "/accessibility",
        data={"page_address": "/", "description": "x", "csrf_token": _csrf_token(client)},
    )
    assert accepted.status_code == 302
    assert len(_reports()) == 1


def test_reports_are_rate_limited(strict_app, session):
    client = strict_app.test_client()
    token = _csrf_token(client)
    data = {"page_address": "/", "description": "Too small text", "csrf_token": token}
    assert client.post("/accessibility", data=data).status_code == 302
    assert client.post("/accessibility", data=data).status_code == 302
    limited = client.post("/accessibility", data=data)
    assert limited.status_code == 429
    assert "<h1>" in limited.get_data(as_text=True)
    assert len(_reports()) == 2
    assert client.get("/accessibility").status_code == 200  # reading is never limited


def _add_report(**kwargs) -> BarrierReport:
    report = BarrierReport(
        page_address=kwargs.get("page_address", "/"),
        description=kwargs.get("description", "Focus is invisible"),
        locale="en",
        status=kwargs.get("status", BarrierReportStatus.OPEN),
    )
    db.session.add(report)
    db.session.commit()
    return report


def test_only_administrators_read_reports(client, login, session, resident, moderator):
    _add_report()
    anonymous = client.get("/accessibility/reports")
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    login(resident)
    assert client.get("/accessibility/reports").status_code == 403
    login(moderator)
    assert client.get("/accessibility/reports").status_code == 403


def test_administrator_lists_and_resolves_reports(client, login, session, admin, count_queries):
    for n in range(25):
        _add_report(page_address=f"/page-{n}")
    done = _add_report(page_address="/already-done", status=BarrierReportStatus.RESOLVED)
    login(admin)
    with count_queries() as queries:
        html = client.get("/accessibility/reports").get_data(as_text=True)
    assert queries.count <= 8, queries.statements
    assert "/page-24" in html and "/page-4" not in html  # newest first, paged
    assert "/already-done" not in html
    assert "Page 1 of 2" in html
    assert "/already-done" in client.get("/accessibility/reports?status=resolved").get_data(as_text=True)
    assert client.get("/accessibility/reports?status=bogus").status_code == 404

    first = _reports()[0]
    response = client.post(f"/accessibility/reports/{first.id}/resolve")
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.status == BarrierReportStatus.RESOLVED
    assert first.resolved_by_id == admin.id and first.resolved_at is not None
    again = client.post(f"/accessibility/reports/{done.id}/resolve", follow_redirects=True)
    assert "already resolved" in again.get_data(as_text=True)
    assert client.post("/accessibility/reports/999999/resolve").status_code == 404
