"""Keeping moderators informed: notifications of new entries per their preference, and the
number of waiting entries in the header."""

from __future__ import annotations

from sqlalchemy import select

from civic.accounts.models import NotificationFrequency
from civic.core.jobs import run_ready_jobs
from civic.extensions import db
from civic.notifications.models import (
    EmailState,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from tests import factories
from tests.moderation.conftest import case_of, post, report


def _queue_notes():
    return {
        n.recipient_id: n
        for n in db.session.execute(
            select(Notification).where(Notification.kind == NotificationKind.MODERATION_QUEUE)
        ).scalars()
    }


def test_moderators_and_department_staff_are_told_of_new_entries(world, reporters, moderator, staff, other_staff, admin, author):
    db.session.add(NotificationPreference(user_id=moderator.id, kind=NotificationKind.MODERATION_QUEUE,
                                          frequency=NotificationFrequency.IMMEDIATELY))
    db.session.add(NotificationPreference(user_id=admin.id, kind=NotificationKind.MODERATION_QUEUE,
                                          frequency=NotificationFrequency.NEVER))
    db.session.commit()
    report(reporters[0], "comment", world.comment, "spam")
    run_ready_jobs()
    notes = _queue_notes()
    assert set(notes) == {moderator.id, staff.id, admin.id}  # not other departments, not the author
    assert notes[moderator.id].email_state in (EmailState.QUEUED, EmailState.SENT)
    assert notes[staff.id].email_state == EmailState.DIGEST  # the default: a daily digest
    assert notes[admin.id].email_state == EmailState.NOT_WANTED
    assert notes[moderator.id].params["case_id"] == case_of("comment", world.comment).id
    # A second report on the same entry is not a new entry: nobody is told again.
    report(reporters[1], "comment", world.comment, "spam")
    run_ready_jobs()
    assert len(db.session.execute(
        select(Notification).where(Notification.kind == NotificationKind.MODERATION_QUEUE)
    ).scalars().all()) == 3


def test_profile_reports_go_to_site_moderators_only(world, reporters, moderator, staff, author):
    report(reporters[0], "user", author, "spam")
    run_ready_jobs()
    assert set(_queue_notes()) == {moderator.id}


def test_the_notification_links_to_the_entry(client, login, world, reporters, moderator):
    report(reporters[0], "comment", world.comment, "spam")
    run_ready_jobs()
    login(moderator)
    page = client.get("/notifications/")
    assert page.status_code == 200
    assert f"/moderation/cases/{case_of('comment', world.comment).id}".encode() in page.data


def test_moderators_choose_immediately_or_a_digest(client, login, moderator):
    login(moderator)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    assert b'name="kind_moderation_queue"' in page.data
    from civic.notifications.kinds import KINDS

    data = {f"kind_{kind.value}": spec.default.value for kind, spec in KINDS.items()}
    data["kind_moderation_queue"] = "immediately"
    response = client.post("/notifications/preferences", data=data)
    assert response.status_code == 302
    pref = db.session.execute(
        select(NotificationPreference).where(
            NotificationPreference.user_id == moderator.id,
            NotificationPreference.kind == NotificationKind.MODERATION_QUEUE,
        )
    ).scalar_one()
    assert pref.frequency == NotificationFrequency.IMMEDIATELY


def test_header_shows_the_number_of_waiting_entries_to_moderators_and_staff(client, login, world, reporters, moderator, staff, other_staff, resident, author):
    report(reporters[0], "comment", world.comment, "spam")
    report(reporters[0], "proposal", world.proposal, "spam")
    report(reporters[0], "user", author, "spam")
    other = post(author, world.other_consultation, "Elsewhere.")
    report(reporters[0], "comment", other, "spam")
    expected = {moderator: 4, staff: 2, other_staff: 1}
    for person, count in expected.items():
        login(person)
        html = client.get("/").data.decode()
        assert f'<span class="badge">{count}<span class="visually-hidden"> waiting' in html, person
    login(resident)
    assert "/moderation/" not in client.get("/").data.decode().split("</header>")[0]
    # No entry waiting: the link stays, without a number.
    lonely = factories.UserFactory(moderator=True)
    login(lonely)
    header = client.get("/").data.decode().split("</header>")[0]
    assert 'href="/moderation/"' in header


def test_header_count_is_one_cheap_query(app_ctx, world, reporters, moderator, count_queries):
    from civic.moderation.services import pending_count

    report(reporters[0], "comment", world.comment, "spam")
    assert moderator.department_ids == frozenset()  # loaded with the person, as in a request
    with count_queries() as q:
        assert pending_count(moderator) == 1
    assert q.count == 1
