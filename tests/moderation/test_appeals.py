"""Appeals: once, by the author, decided by a different moderator, final and notified."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from civic.comments.models import CommentState
from civic.core.errors import Conflict, PermissionDenied
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import AppealState, CaseState
from civic.notifications.models import Notification, NotificationKind
from tests import factories
from tests.moderation.conftest import act, case_of, report


@pytest.fixture
def hidden(world, reporters, moderator):
    report(reporters[0], "comment", world.comment, "offensive_or_hateful")
    case = case_of("comment", world.comment)
    act(moderator, case, "hide", reason="Insults.", rule="respect")
    return case_of("comment", world.comment)


def test_the_author_appeals_once(hidden, author):
    services.appeal(author, hidden, "I did not insult anyone.")
    db.session.commit()
    case = case_of("comment", _comment(hidden))
    assert case.state == CaseState.APPEALED
    with pytest.raises(Conflict):
        services.appeal(author, case, "Again.")
    db.session.rollback()


def _comment(case):
    from civic.comments.models import Comment

    return db.session.get(Comment, case.comment_id)


def test_appeal_needs_a_text_and_only_the_author_appeals(hidden, author, resident):
    from civic.core.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.appeal(author, hidden, "  ")
    with pytest.raises(PermissionDenied):
        services.appeal(resident, hidden, "Not mine but I appeal.")


def test_the_moderator_who_decided_cannot_decide_the_appeal(client, login, hidden, author, moderator, admin):
    services.appeal(author, hidden, "I did not insult anyone.")
    db.session.commit()
    case = services.get_case(hidden.id)
    with pytest.raises(PermissionDenied):
        services.decide_appeal(moderator, case, True, "I changed my mind.")
    db.session.rollback()
    # The appeal is not in the deciding moderator's queue, but in another's.
    mine = [c.id for c in db.session.execute(services.queue_query(moderator, services.QueueFilters(state="appealed"))).scalars()]
    theirs = [c.id for c in db.session.execute(services.queue_query(admin, services.QueueFilters(state="appealed"))).scalars()]
    assert mine == [] and theirs == [case.id]
    assert services.pending_count(moderator) == 0 and services.pending_count(admin) == 1
    login(moderator)
    response = client.post(f"/moderation/cases/{case.id}/appeal-decision",
                           data={"outcome": "uphold", "reason": "Fine after all."})
    assert response.status_code == 403
    page = client.get(f"/moderation/cases/{case.id}")
    assert b"a different moderator decides the appeal" in page.data


def test_a_different_moderator_decides_and_it_is_final(client, login, hidden, author, moderator):
    second = factories.UserFactory(moderator=True)
    services.appeal(author, hidden, "I did not insult anyone.")
    db.session.commit()
    login(second)
    response = client.post(f"/moderation/cases/{hidden.id}/appeal-decision",
                           data={"outcome": "uphold", "reason": "Sharp, but not an insult."})
    assert response.status_code == 302
    db.session.expire_all()
    case = services.get_case(hidden.id)
    assert case.state == CaseState.CLOSED
    assert case.appeal.state == AppealState.UPHELD
    assert case.appeal.decided_by_id == second.id
    assert _comment(case).state == CommentState.VISIBLE
    [note] = db.session.execute(
        select(Notification).where(Notification.recipient_id == author.id,
                                   Notification.kind == NotificationKind.MODERATION_APPEAL)
    ).scalars().all()
    assert note.params["upheld"] is True
    # Final: no second appeal, no second appeal decision.
    with pytest.raises(Conflict):
        services.appeal(author, case, "Once more.")
    db.session.rollback()
    with pytest.raises((Conflict, PermissionDenied)):
        services.decide_appeal(second, services.get_case(hidden.id), False, "Changed my mind.")
    db.session.rollback()


def test_rejected_appeal_keeps_the_content_hidden(hidden, author, admin):
    services.appeal(author, hidden, "Please.")
    db.session.commit()
    services.decide_appeal(admin, services.get_case(hidden.id), False, "It is an insult.")
    db.session.commit()
    case = services.get_case(hidden.id)
    assert case.appeal.state == AppealState.REJECTED
    assert _comment(case).state == CommentState.HIDDEN


def test_moderators_other_than_the_decider_are_notified_of_appeals(hidden, author, moderator, admin):
    from civic.core.jobs import run_ready_jobs

    services.appeal(author, hidden, "Please.")
    db.session.commit()
    run_ready_jobs()
    recipients = set(db.session.execute(
        select(Notification.recipient_id).where(
            Notification.kind == NotificationKind.MODERATION_QUEUE,
            Notification.params["what"].as_string() == "appeal",
        )
    ).scalars())
    assert admin.id in recipients and moderator.id not in recipients and author.id not in recipients
