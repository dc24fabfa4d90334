"""Mentions (``@Display Name``), the chooser when names collide, and notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from civic.comments import mentions, services
from civic.comments.mentions import AmbiguousMentions, choice_key
from civic.comments.models import CommentMention
from civic.comments.targets import make_target
from civic.core.jobs import run_ready_jobs
from civic.extensions import db
from civic.notifications.models import Notification, NotificationKind
from tests import factories
from tests.comments.conftest import NOW, make_consultation, make_meeting, make_proposal, post


def _notifications(user) -> list[tuple[NotificationKind, dict]]:
    db.session.expire_all()
    return [
        (n.kind, n.params)
        for n in db.session.execute(
            select(Notification).where(Notification.recipient_id == user.id).order_by(Notification.id)
        ).scalars()
    ]


def test_names_with_spaces_are_found_longest_first(session):
    amaia = factories.UserFactory(display_name="Amaia Etxeberria")
    factories.UserFactory(display_name="Amaia")
    rania = factories.UserFactory(display_name="رانيا عودة")
    found = mentions.find("Thanks @Amaia Etxeberria, and @رانيا عودة! Email me at x@Amaia.org")
    assert {name: [u.id for u in people] for name, people in found.items()} == {
        "Amaia Etxeberria": [amaia.id],
        "رانيا عودة": [rania.id],
    }
    assert mentions.find("no mention here") == {}


def test_a_mention_notifies_that_person_with_a_link(app, client, login, session, department, resident,
                                                    verified_resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "What do you think, @Kwame Mensah?")
    run_ready_jobs()
    rows = db.session.execute(select(CommentMention)).scalars().all()
    assert [(m.user_id, m.name) for m in rows] == [(verified_resident.id, "Kwame Mensah")]
    assert _notifications(verified_resident) == [(NotificationKind.MENTIONED, {"comment_id": comment.id})]
    login(verified_resident)
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Amaia Etxeberria mentioned you in a comment on Cycle lanes on the river bank." in page
    assert f'href="/comments/{comment.id}"' in page
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'<a class="mention" href="/people/{verified_resident.id}">@Kwame Mensah</a>' in html


def test_colliding_names_get_a_chooser_without_script(client, login, session, department, resident):
    consultation = make_consultation(department)
    first = factories.UserFactory(display_name="Sam Lee")
    with_later_date = factories.UserFactory(display_name="Sam Lee", created_at=NOW - timedelta(days=3))
    login(resident)
    url = f"/discussions/consultations/{consultation.id}/comments"
    response = client.post(url, data={"body": "I agree with @Sam Lee here.", "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Which Sam Lee did you mean?" in html
    key = choice_key("Sam Lee")
    for person in (first, with_later_date):
        assert f'name="{key}" id="body-{key}-{person.id}" value="{person.id}"' in html
        assert f'href="/people/{person.id}"' in html
    assert "member since" in html
    assert "I agree with @Sam Lee here." in html  # what was typed is kept
    assert db.session.execute(select(CommentMention)).first() is None
    # Choosing one saves the mention as that person's id.
    response = client.post(url, data={"body": "I agree with @Sam Lee here.", "language": "en",
                                      key: str(with_later_date.id)})
    assert response.status_code == 302
    run_ready_jobs()
    [mention] = db.session.execute(select(CommentMention)).scalars().all()
    assert mention.user_id == with_later_date.id
    assert [k for k, _p in _notifications(with_later_date)] == [NotificationKind.MENTIONED]
    assert _notifications(first) == []


def test_none_of_them_mentions_nobody(app, session, department, resident):
    consultation = make_consultation(department)
    factories.UserFactory(display_name="Sam Lee")
    factories.UserFactory(display_name="Sam Lee")
    target = make_target("consultation", consultation)
    with app.test_request_context():
        with pytest.raises(AmbiguousMentions) as raised:
            services.post_comment(resident, target, "Hi @Sam Lee", language="en")
        assert [c.name for c in raised.value.choices] == ["Sam Lee"]
        assert len(raised.value.choices[0].candidates) == 2
        db.session.rollback()
        comment = services.post_comment(resident, target, "Hi @Sam Lee", language="en",
                                        mention_choices={choice_key("Sam Lee"): "0"})
        db.session.commit()
    assert comment.id and db.session.execute(select(CommentMention)).first() is None


def test_the_chooser_comes_back_in_json_for_scripts(client, login, session, department, resident):
    consultation = make_consultation(department)
    factories.UserFactory(display_name="Sam Lee")
    factories.UserFactory(display_name="Sam Lee")
    parent = post(resident, "consultation", consultation, "Start")
    login(resident)
    response = client.post(f"/discussions/consultations/{consultation.id}/comments",
                           data={"body": "cc @Sam Lee", "language": "en", "parent_id": str(parent.id)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 400
    data = response.get_json()
    assert data["ok"] is False
    assert "Which Sam Lee did you mean?" in data["html"]
    assert f'id="reply-{parent.id}-body"' in data["html"]  # the ids of the reply form it replaces
    assert 'data-autofocus' in data["html"]


def test_editing_notifies_only_people_newly_mentioned(client, login, session, department, resident,
                                                      verified_resident, moderator):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Hello @Kwame Mensah")
    run_ready_jobs()
    login(resident)
    client.post(f"/comments/{comment.id}/edit",
                data={"body": "Hello @Kwame Mensah and @Lina Haddad", "language": "en"})
    assert [k for k, _p in _notifications(verified_resident)] == [NotificationKind.MENTIONED]
    assert [k for k, _p in _notifications(moderator)] == [NotificationKind.MENTIONED]
    mentioned = set(db.session.execute(select(CommentMention.user_id)).scalars())
    assert mentioned == {verified_resident.id, moderator.id}


def test_new_comments_and_replies_notify_authors_and_followers_once(session, department, resident,
                                                                    verified_resident, moderator, staff):
    from civic.notifications.services import follow

    consultation = make_consultation(department)
    proposal = make_proposal(consultation, resident)  # resident wrote the proposal
    follow(moderator, proposal)
    db.session.commit()
    top = post(verified_resident, "proposal", proposal, "Nice idea")
    run_ready_jobs()
    assert [k for k, _p in _notifications(resident)] == [NotificationKind.COMMENT_NEW]
    assert [k for k, _p in _notifications(moderator)] == [NotificationKind.COMMENT_NEW]
    assert _notifications(verified_resident) == []  # never about one's own comment
    # A reply that also mentions the follower: each person gets one notification, the most specific.
    post(staff, "proposal", proposal, "Thanks @Lina Haddad", parent=top)
    run_ready_jobs()
    assert [k for k, _p in _notifications(verified_resident)] == [NotificationKind.COMMENT_REPLY]
    assert [k for k, _p in _notifications(moderator)][-1] == NotificationKind.MENTIONED
    assert len(_notifications(moderator)) == 2
    assert [k for k, _p in _notifications(resident)] == [NotificationKind.COMMENT_NEW] * 2


def test_meeting_organizer_and_consultation_followers_hear_of_comments(session, department, resident, staff):
    from civic.notifications.services import follow
    from civic.notifications.targets import TARGET_COLUMNS

    meeting = make_meeting(department, creator=staff)
    post(resident, "meeting", meeting, "Is there a ramp?")
    run_ready_jobs()
    assert [k for k, _p in _notifications(staff)] == [NotificationKind.COMMENT_NEW]
    if "consultation_id" in TARGET_COLUMNS:
        consultation = make_consultation(department)
        follower = factories.UserFactory()
        follow(follower, consultation)
        db.session.commit()
        post(resident, "consultation", consultation, "Hello")
        run_ready_jobs()
        assert [k for k, _p in _notifications(follower)] == [NotificationKind.COMMENT_NEW]


def test_a_rolled_back_comment_notifies_nobody(app, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    target = make_target("consultation", consultation)
    with app.test_request_context():
        services.post_comment(resident, target, "Hello @Kwame Mensah", language="en")
        db.session.rollback()
    run_ready_jobs()
    assert _notifications(verified_resident) == []
