"""Data rights: downloading everything, deleting the account with every counter kept exact."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from civic.accounts.models import User, UserSession
from civic.audit.models import AuditAction, AuditLogEntry
from civic.comments.models import Comment, CommentState, CommentTally, CommentVote
from civic.consultations.models import Answer, Consultation, Participation, Question, QuestionOption
from civic.extensions import db
from civic.meetings.models import (
    Meeting,
    PollAnswer,
    PollSlot,
    Registration,
    RegistrationState,
    SchedulingPoll,
)
from civic.moderation.models import ModerationCase, ModerationReport
from civic.notifications.models import Follow, Notification
from civic.proposals.models import Proposal, ProposalSettings, Support, SupportBudget
from tests import factories
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET
from tests.security.conftest import code_now
from tests.security.world import build


def _count(model, *where) -> int:
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def assert_counters_exact(consultation_id: int) -> None:
    """Every stored counter equals what the remaining rows say."""
    db.session.expire_all()
    for q in db.session.execute(select(Question).where(Question.consultation_id == consultation_id)).scalars():
        answers = list(db.session.execute(select(Answer).where(Answer.question_id == q.id)).scalars())
        assert q.answer_count == len(answers)
        for o in db.session.execute(select(QuestionOption).where(QuestionOption.question_id == q.id)).scalars():
            if q.kind.value == "ranking":
                assert o.rank_sum == sum(a.option_ids.index(o.id) + 1 for a in answers)
                assert o.first_count == sum(1 for a in answers if a.option_ids[0] == o.id)
            else:
                assert o.vote_count == sum(1 for a in answers if o.id in a.option_ids)
    c = db.session.get(Consultation, consultation_id)
    assert c.participant_count == _count(Participation, Participation.consultation_id == consultation_id)
    for p in db.session.execute(select(Proposal).where(Proposal.consultation_id == consultation_id)).scalars():
        assert p.support_count == _count(Support, Support.proposal_id == p.id)
        visible = _count(Comment, Comment.proposal_id == p.id, Comment.state == CommentState.VISIBLE)
        assert p.comment_count == visible
        tally = db.session.execute(select(CommentTally).where(CommentTally.proposal_id == p.id)).scalar_one_or_none()
        if tally is not None:
            assert tally.comment_count == visible
    settings = db.session.get(ProposalSettings, consultation_id)
    assert settings.published_count == _count(
        Proposal, Proposal.consultation_id == consultation_id, Proposal.state != "draft"
    )
    for comment in db.session.execute(select(Comment)).scalars():
        assert comment.up_count == _count(CommentVote, CommentVote.comment_id == comment.id, CommentVote.value == 1)
        assert comment.down_count == _count(CommentVote, CommentVote.comment_id == comment.id, CommentVote.value == -1)
    for m in db.session.execute(select(Meeting)).scalars():
        assert m.registered_count == _count(Registration, Registration.meeting_id == m.id, Registration.state == RegistrationState.REGISTERED)
        assert m.waiting_count == _count(Registration, Registration.meeting_id == m.id, Registration.state == RegistrationState.WAITING)
    for slot in db.session.execute(select(PollSlot)).scalars():
        assert slot.yes_count == _count(PollAnswer, PollAnswer.slot_id == slot.id, PollAnswer.choice == "yes")
        assert slot.no_count == _count(PollAnswer, PollAnswer.slot_id == slot.id, PollAnswer.choice == "no")
    for poll in db.session.execute(select(SchedulingPoll)).scalars():
        respondents = db.session.execute(
            select(func.count(func.distinct(PollAnswer.user_id))).where(PollAnswer.poll_id == poll.id)
        ).scalar_one()
        assert poll.respondent_count == respondents


@pytest.fixture
def world(app, resident, department):
    with app.test_request_context():
        w = build(resident, department)
    assert_counters_exact(w.consultation.id)
    return w


def _archive(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_download_has_every_kind_of_data(client, login, world, resident):
    login(resident)
    archive = _archive(client.post("/account/data/download"))
    names = set(archive.namelist())
    assert {"README.txt", "account.json", "proposals.json", "comments.json", "consultations.json",
            "meetings.json", "notifications.json", "accessibility_reports.json", "moderation.json"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["profile"]["email"] == resident.email
    assert account["sessions"] and account["sessions"][0]["device"] == "test"
    proposals = json.loads(archive.read("proposals.json"))
    assert [p["title"] for p in proposals["proposals"]] == ["A bench by the school"]
    assert [s["proposal"] for s in proposals["supports"]] == ["More trees on the avenue"]
    comments = json.loads(archive.read("comments.json"))
    assert [c["body"] for c in comments["comments"]] == ["My own view on trees."]
    assert comments["votes"] == [{"comment_id": world.other_comment.id, "vote": "up", "at": comments["votes"][0]["at"]}]
    answers = json.loads(archive.read("consultations.json"))
    assert {a["question"]: a["chosen"] for a in answers} == {
        "Question 1": ["North"], "Question 2": ["Trees", "Benches", "Lights"]
    }
    meetings = json.loads(archive.read("meetings.json"))
    assert meetings["registrations"][0]["access_needs"]["step_free_access"] is True
    assert meetings["registrations"][0]["access_needs"]["other"] == "A chair"
    assert {a["choice"] for a in meetings["date_poll_answers"]} == {"yes", "no"}
    reports = json.loads(archive.read("moderation.json"))["reports"]
    assert reports == [{"about": {"comment_id": world.other_comment.id}, "reason": "spam",
                        "details": "Looks like an advert.", "sent_at": reports[0]["sent_at"]}]
    notes = json.loads(archive.read("notifications.json"))
    assert [n["kind"] for n in notes["notifications"]] == ["test"]
    assert notes["follows"][0]["about"] == {"department_id": world.department.id}
    readme = archive.read("README.txt").decode()
    assert "proposals.json" in readme and resident.email in readme
    # nothing of anybody else
    others = {o.email for o in world.others}
    assert not any(o in archive.read(n).decode() for n in names for o in others)


def test_download_needs_sign_in_and_post(client, resident):
    assert client.post("/account/data/download").status_code == 302
    assert client.get("/account/data/download").status_code == 405


def _delete(client, contributions="keep", password=TEST_PASSWORD, **extra):
    return client.post(
        "/account/delete",
        data={"contributions": contributions, "current_password": password, "confirm": "y", **extra},
    )


def test_deleting_keeps_contributions_unsigned_and_counters_exact(client, login, world, resident, outbox):
    person_id, email, name = resident.id, resident.email, resident.display_name
    login(resident)
    response = _delete(client)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person_id) is None
    assert _count(UserSession, UserSession.user_id == person_id) == 0
    # contributions stay, signed by nobody
    own = db.session.get(Proposal, world.own_proposal.id)
    assert own is not None and own.author_id is None
    comment = db.session.get(Comment, world.own_comment.id)
    assert comment.author_id is None and comment.body == "My own view on trees."
    # answers, supports, votes, registrations, follows and notifications are gone
    for model, column in ((Answer, Answer.user_id), (Support, Support.user_id), (CommentVote, CommentVote.user_id),
                          (Registration, Registration.user_id), (PollAnswer, PollAnswer.user_id),
                          (Follow, Follow.user_id), (Notification, Notification.recipient_id),
                          (SupportBudget, SupportBudget.user_id)):
        assert _count(model, column == person_id) == 0
    assert_counters_exact(world.consultation.id)
    # the waiting person got the freed place
    waiting = db.session.execute(select(Registration).where(Registration.user_id == world.others[2].id)).scalar_one()
    assert waiting.state == RegistrationState.REGISTERED
    # the report to the moderators stays, unsigned, and still counts in its case
    report = db.session.get(ModerationReport, world.extra["report"].id)
    assert report.reporter_id is None and db.session.get(ModerationCase, report.case_id).report_count == 1
    # a goodbye email to the old address, an audit line without the name
    goodbye = [m for m in outbox if m["to"] == email]
    assert goodbye and "has been deleted" in goodbye[-1]["text"]
    entry = db.session.execute(select(AuditLogEntry).where(AuditLogEntry.action == AuditAction.ACCOUNT_DELETED)).scalar_one()
    assert entry.details["account_id"] == person_id and name not in json.dumps(entry.details)
    assert entry.actor_label == "" and entry.object_label == ""
    # signed out
    assert client.get("/account").status_code == 302


def test_deleting_can_remove_contributions(client, login, world, resident):
    own_proposal_id = world.own_proposal.id
    login(resident)
    assert _delete(client, contributions="remove").status_code == 302
    db.session.expire_all()
    assert db.session.get(Proposal, own_proposal_id) is None
    comment = db.session.get(Comment, world.own_comment.id)
    assert comment.state == CommentState.DELETED and comment.body == ""
    # the reply to the removed comment stays in place
    assert _count(Comment, Comment.parent_id == world.own_comment.id) == 1
    # the person who supported the removed proposal got the support back in their budget
    budget = db.session.get(SupportBudget, (world.others[1].id, world.consultation.id))
    assert budget.used == 1
    assert_counters_exact(world.consultation.id)


def test_deleting_needs_the_password_and_the_box(client, login, resident):
    login(resident)
    wrong = _delete(client, password="not my password")
    assert wrong.status_code == 400 and "current password is not right" in wrong.get_data(as_text=True)
    unticked = client.post("/account/delete", data={"contributions": "keep", "current_password": TEST_PASSWORD})
    assert unticked.status_code == 400
    assert db.session.get(User, resident.id) is not None


def test_deleting_with_two_factor_needs_a_code(client, login, session):
    person = factories.UserFactory(two_factor=True)
    person_id = person.id
    login(person)
    missing = _delete(client)
    assert missing.status_code == 400 and db.session.get(User, person_id) is not None
    assert _delete(client, code=code_now(TEST_TOTP_SECRET)).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, person_id) is None


def test_last_administrator_cannot_delete_their_account(client, login, admin):
    login(admin)
    response = _delete(client, code=code_now(TEST_TOTP_SECRET))
    assert response.status_code == 400 and "last active administrator" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id) is not None


def test_privacy_page_is_public_linked_in_the_footer_and_built_from_the_retention_list(client, app):
    from civic.privacy.retention import RETENTION, rule_text

    home = client.get("/").get_data(as_text=True)
    assert 'href="/privacy"' in home
    response = client.get("/privacy")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.test_request_context():
        for entry in RETENTION:
            assert f'id="retention-{entry.id}"' in html
            assert str(escape(rule_text(entry))) in html
    assert "7 days" in html and "30 days" in html and "1 year" in html and "5 years" in html
