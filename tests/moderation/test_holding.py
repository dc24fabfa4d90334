"""Pre-moderation per consultation and the list of watched words hold new content: its author
sees it as awaiting moderation, nobody else sees it until a moderator approves it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from civic.comments.models import CommentState, CommentTally
from civic.core.errors import PermissionDenied
from civic.extensions import db
from civic.moderation import services
from civic.moderation.models import CaseOrigin, CaseState, ModerationWord
from civic.moderation.states import ModerationState
from civic.moderation.text import matches, normalize_phrase
from civic.notifications.models import Notification, NotificationKind
from civic.proposals import services as proposal_services
from civic.proposals.models import Proposal, ProposalSettings, ProposalState
from tests.moderation.conftest import act, case_of, post


def _tally(consultation) -> int:
    return db.session.execute(
        select(func.coalesce(func.max(CommentTally.comment_count), 0)).where(
            CommentTally.consultation_id == consultation.id
        )
    ).scalar_one()


def _draft(consultation, author, title="Shade for the market square", body="Plant plane trees."):
    p = Proposal(consultation_id=consultation.id, author_id=author.id, state=ProposalState.DRAFT,
                 title=title, body=body, language="en", support_count=0, comment_count=0)
    db.session.add(p)
    db.session.commit()
    return p


def _publish(author, proposal):
    settings = proposal_services.settings_for(proposal.consultation_id)
    loaded = proposal_services.get_proposal(proposal.id)
    proposal_services.publish(author, loaded, settings)
    db.session.commit()
    return db.session.get(Proposal, proposal.id)


def test_premoderated_comment_waits_for_approval(client, login, world, author, resident, moderator, staff):
    services.set_premoderation(staff, world.consultation, "all")
    db.session.commit()
    before = _tally(world.consultation)
    held = post(author, world.consultation, "The north bank needs a lane too.")
    assert held.state == CommentState.HELD
    assert _tally(world.consultation) == before  # not counted while held
    case = case_of("comment", held)
    assert case.origin == CaseOrigin.PREMODERATION and case.state == CaseState.PENDING

    page = f"/consultations/{world.consultation.id}"
    login(author)
    mine = client.get(page)
    assert b"The north bank needs a lane too." in mine.data
    assert b"Held for review" in mine.data
    login(resident)
    theirs = client.get(page)
    assert b"The north bank needs a lane too." not in theirs.data

    act(moderator, case, "approve")
    db.session.refresh(held)
    assert held.state == CommentState.VISIBLE
    assert _tally(world.consultation) == before + 1
    assert b"The north bank needs a lane too." in client.get(page).data
    # The author is told it is published.
    assert db.session.execute(
        select(func.count()).select_from(Notification).where(
            Notification.recipient_id == author.id, Notification.kind == NotificationKind.MODERATION_DECISION
        )
    ).scalar_one() == 1


def test_premoderation_modes_choose_what_is_held(world, author, staff):
    services.set_premoderation(staff, world.consultation, "proposals")
    db.session.commit()
    assert post(author, world.consultation, "Published at once.").state == CommentState.VISIBLE
    published = _publish(author, _draft(world.consultation, author))
    assert published.moderation_state == ModerationState.HELD


def test_premoderated_proposal_is_not_listed_nor_counted_until_approved(client, login, world, author, resident, moderator, staff):
    services.set_premoderation(staff, world.consultation, "all")
    db.session.commit()
    count_before = db.session.get(ProposalSettings, world.consultation.id).published_count
    proposal = _publish(author, _draft(world.consultation, author))
    assert proposal.state == ProposalState.PUBLISHED
    assert proposal.moderation_state == ModerationState.HELD
    db.session.expire_all()
    assert db.session.get(ProposalSettings, world.consultation.id).published_count == count_before

    listing = f"/consultations/{world.consultation.id}/proposals"
    login(resident)
    assert b"Shade for the market square" not in client.get(listing).data
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    login(author)
    own = client.get(f"/proposals/{proposal.id}")
    assert own.status_code == 200 and b"Awaiting moderation" in own.data
    login(moderator)
    assert client.get(f"/proposals/{proposal.id}").status_code == 200

    act(moderator, case_of("proposal", proposal), "approve")
    db.session.expire_all()
    assert db.session.get(ProposalSettings, world.consultation.id).published_count == count_before + 1
    login(resident)
    assert b"Shade for the market square" in client.get(listing).data


def test_only_staff_of_the_department_and_moderators_set_premoderation(world, other_staff, resident, moderator):
    for person in (other_staff, resident):
        with pytest.raises(PermissionDenied):
            services.set_premoderation(person, world.consultation, "all")
    services.set_premoderation(moderator, world.consultation, "comments")
    db.session.commit()
    assert services.premoderation_of(world.consultation.id).value == "comments"


def test_setting_premoderation_over_http(client, login, world, staff):
    login(staff)
    response = client.post(f"/moderation/consultations/{world.consultation.id}", data={"premoderation": "all"})
    assert response.status_code == 302
    assert services.premoderation_of(world.consultation.id).value == "all"
    listing = client.get("/moderation/consultations")
    assert b"Every new comment and proposal waits for a moderator" in listing.data


# ---- watched words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "text", "found"),
    [
        ("idiot", "What an IDIOT!", True),
        ("idiot", "Quel ïdiöt, vraiment.", True),
        ("imbécile", "un IMBECILE de plus", True),
        ("imbecile", "Un imbécile.", True),
        ("idiot", "idiots are not caught", False),
        ("ass", "the class assembly", False),
        ("casino en ligne", "Jouez au  Casino   EN ligne maintenant", True),
        ("estúpido", "¡Estupido!", True),
    ],
)
def test_matching_ignores_case_and_accents_and_wants_whole_words(phrase, text, found):
    assert bool(matches(text, [normalize_phrase(phrase)])) is found


def test_a_watched_word_holds_new_content_for_review(world, author, admin, resident):
    services.add_word(admin, "Imbécile")
    db.session.commit()
    clean = post(resident, world.consultation, "Seems fine to me.")
    assert clean.state == CommentState.VISIBLE
    held = post(author, world.consultation, "Seul un IMBECILE voterait contre.", language="fr")
    assert held.state == CommentState.HELD
    case = case_of("comment", held)
    assert case.origin == CaseOrigin.WORD_LIST
    proposal = _publish(author, _draft(world.consultation, author, title="No imbéciles here", body="Fine."))
    assert proposal.moderation_state == ModerationState.VISIBLE  # "imbéciles" is another word
    proposal = _publish(author, _draft(world.consultation, author, title="Another", body="Un imbécile l'a dit."))
    assert proposal.moderation_state == ModerationState.HELD


def test_admins_add_and_remove_words(client, login, admin):
    login(admin)
    assert client.post("/moderation/admin/words", data={"phrase": "  Casino en LIGNE "}).status_code == 302
    word = db.session.execute(select(ModerationWord)).scalar_one()
    assert word.normalized == "casino en ligne"
    duplicate = client.post("/moderation/admin/words", data={"phrase": "casino  en ligne"})
    assert duplicate.status_code == 400 and b"already on the list" in duplicate.data
    page = client.get("/moderation/admin/words")
    assert b"Casino en LIGNE" in page.data
    assert client.post(f"/moderation/admin/words/{word.id}/remove").status_code == 302
    assert db.session.execute(select(func.count()).select_from(ModerationWord)).scalar_one() == 0
