"""'You said, we did': writing and publishing the report, who is told, deadlines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from civic.consultations import services
from civic.consultations.models import Consultation, ConsultationState, QuestionKind
from civic.consultations.registry import register_participant_source
from civic.extensions import db
from civic.notifications.models import Notification, NotificationKind
from civic.notifications.services import follow
from tests import factories
from tests.consultations.conftest import make_consultation, make_question


def _told(kind=NotificationKind.CONSULTATION_CONCLUDED) -> list[int]:
    return sorted(db.session.execute(select(Notification.recipient_id).where(Notification.kind == kind)).scalars())


def test_write_then_publish_the_report(app, client, login, department, staff, resident, verified_resident, clock, outbox):
    c = make_consultation(department, "open")
    q = make_question(c, QuestionKind.SINGLE)
    follower = factories.UserFactory()
    with app.test_request_context():
        services.answer_questions(resident, c, {q.id: q.options[0].id})
        services.answer_questions(verified_resident, c, {q.id: q.options[1].id})
        follow(follower, c)
        follow(resident, c)  # participant and follower: told once
    db.session.commit()
    cid = c.id
    clock.move_to(c.closes_at + timedelta(days=3))
    login(staff)

    # No report text yet: refused with a message.
    response = client.post(f"/consultations/{cid}/report/publish", follow_redirects=True)
    assert "Write the report in the default language before publishing it." in response.get_data(as_text=True)
    assert db.session.get(Consultation, cid).state != ConsultationState.CONCLUDED

    assert client.get(f"/consultations/{cid}/report").status_code == 200
    response = client.post(f"/consultations/{cid}/report?lang=en", data={"report": "<h2>What we heard</h2><p>Most of you want the north bank.</p><img src=x onerror=alert(1)>"})
    assert response.status_code == 302
    # Saving does not publish.
    assert "Most of you want" not in client.get(f"/consultations/{cid}").get_data(as_text=True)

    assert client.post(f"/consultations/{cid}/report/publish").status_code == 302
    db.session.expire_all()
    c = db.session.get(Consultation, cid)
    assert c.state == ConsultationState.CONCLUDED
    assert c.report_published_at is not None and c.concluded_by_id == staff.id
    assert _told() == sorted([resident.id, verified_resident.id, follower.id])

    page = client.get(f"/consultations/{cid}").get_data(as_text=True)
    assert '<h2 id="report">You said, we did</h2>' in page
    assert "<h3>What we heard</h3>" in page and "onerror" not in page
    assert "Concluded" in page

    # Publishing twice is refused.
    assert client.post(f"/consultations/{cid}/report/publish").status_code == 403
    assert len(_told()) == 3


def test_participants_registry_extends_who_is_told(app, session, department, staff):
    """Later capabilities (proposals, comments) add their participants with one function."""
    c = make_consultation(department, "closed", report="<p>Done.</p>")
    commenter = factories.UserFactory()
    source = lambda consultation_id: select(db.literal(commenter.id))  # noqa: E731
    register_participant_source(app, source)
    try:
        services.publish_report(staff, c)
        db.session.commit()
        from civic.core.jobs import run_ready_jobs

        run_ready_jobs()
    finally:
        app.extensions["civic_consultation_participant_sources"].remove(source)
    assert _told() == [commenter.id]


def test_response_deadline_is_configurable_and_shown(client, login, department, staff):
    c = make_consultation(department, "closed")
    login(staff)
    response = client.post(
        f"/consultations/{c.id}/settings",
        data={"department_id": department.id, "default_locale": "en", "area_id": 0,
              "results_visibility": "live", "response_weeks": 6},
    )
    assert response.status_code == 302
    db.session.expire_all()
    c = db.session.get(Consultation, c.id)
    assert c.response_weeks == 6
    assert c.report_due_at == c.closes_at + timedelta(weeks=6)
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "6 weeks after closing" in page


def test_report_falls_back_to_the_main_language(client, department):
    c = make_consultation(department, "concluded", locale="fr", title="Pistes", report="<p>Nous avons entendu.</p>")
    client.post("/language", data={"language": "en", "next": "/"})
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    report = page.split('<h2 id="report">', 1)[1].split("</section>", 1)[0]
    assert "This text is not available in your language" in report
    assert '<div lang="fr" dir="ltr" class="rich-text"><p>Nous avons entendu.</p></div>' in report


def test_follow_and_unfollow(client, login, department, resident, unconfirmed_resident):
    from civic.notifications.models import Follow

    c = make_consultation(department, "open")
    cid = c.id
    assert "Follow this consultation" not in client.get(f"/consultations/{cid}").get_data(as_text=True)
    login(resident)
    assert "Follow this consultation" in client.get(f"/consultations/{cid}").get_data(as_text=True)
    assert client.post(f"/consultations/{cid}/follow").status_code == 302
    assert client.post(f"/consultations/{cid}/follow").status_code == 302  # twice: still one follow
    follows = list(db.session.execute(select(Follow).where(Follow.consultation_id == cid)).scalars())
    assert [f.user_id for f in follows] == [resident.id]
    assert "Stop following this consultation" in client.get(f"/consultations/{cid}").get_data(as_text=True)
    assert client.post(f"/consultations/{cid}/unfollow").status_code == 302
    assert db.session.execute(select(Follow).where(Follow.consultation_id == cid)).first() is None
    login(unconfirmed_resident)
    assert client.post(f"/consultations/{cid}/follow").status_code == 403
