"""Submitting: drafts, the preview with similar proposals, publishing, limits, images."""

from __future__ import annotations

import io
import re

from sqlalchemy import select

from civic.extensions import db
from civic.proposals.models import Proposal, ProposalSettings, ProposalState
from tests import factories
from tests.proposals.conftest import make_consultation, make_proposal

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)


def _form(**overrides):
    data = {
        "title": "Shade trees on the market square",
        "body": "Plant **lime trees** around the market square.\n\n- shade\n- birds",
        "language": "en",
        "topic_id": "",
        "area_id": "",
        "place": "Market square, north side",
        "image_alt": "",
        "action": "preview",
    }
    data.update(overrides)
    return data


def test_preview_shows_similar_proposals_then_publish(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    other = factories.UserFactory()
    similar = make_proposal(consultation, other, title="Trees for the market square", body="More shade please.")
    unrelated = make_proposal(consultation, other, title="Longer library hours", body="Open on Sundays.")
    login(resident)

    response = client.post(f"/consultations/{consultation.id}/proposals/new", data=_form())
    assert response.status_code == 302
    proposal = db.session.execute(select(Proposal).where(Proposal.author_id == resident.id)).scalar_one()
    assert proposal.state == ProposalState.DRAFT
    assert response.headers["Location"].endswith(f"/proposals/{proposal.id}/preview")

    page = client.get(f"/proposals/{proposal.id}/preview").get_data(as_text=True)
    assert "Similar proposals" in page
    assert f"/proposals/{similar.id}" in page
    assert f"/proposals/{unrelated.id}\"" not in page
    assert "<strong>lime trees</strong>" in page  # the Markdown subset is rendered
    assert f'action="/proposals/{proposal.id}/publish"' in page

    # Not published yet: others cannot see it, and it is not counted.
    assert db.session.get(ProposalSettings, consultation.id).published_count == 2
    login(other)
    assert client.get(f"/proposals/{proposal.id}").status_code == 404
    login(resident)

    response = client.post(f"/proposals/{proposal.id}/publish")
    assert response.status_code == 302
    db.session.expire_all()
    published = db.session.get(Proposal, proposal.id)
    assert published.state == ProposalState.PUBLISHED and published.published_at is not None
    assert db.session.get(ProposalSettings, consultation.id).published_count == 3
    # Publishing twice changes nothing (the draft is gone).
    assert client.post(f"/proposals/{proposal.id}/publish").status_code == 403
    assert db.session.get(ProposalSettings, consultation.id).published_count == 3
    assert client.get(f"/proposals/{proposal.id}").status_code == 200


def test_drafts_are_saved_and_finished_later(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    login(resident)
    response = client.post(
        f"/consultations/{consultation.id}/proposals/new",
        data=_form(body="", action="draft", title="Half an idea"),
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/proposals/drafts")
    drafts = client.get("/proposals/drafts").get_data(as_text=True)
    assert "Half an idea" in drafts
    draft = db.session.execute(select(Proposal)).scalar_one()
    # Publishing an unfinished draft sends the author back to the form.
    response = client.post(f"/proposals/{draft.id}/publish")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/proposals/{draft.id}/edit")
    assert db.session.get(Proposal, draft.id).state == ProposalState.DRAFT
    # Finish it: edit, preview, publish.
    response = client.post(f"/proposals/{draft.id}/edit", data=_form(title="A whole idea", body="Now complete."))
    assert response.headers["Location"].endswith(f"/proposals/{draft.id}/preview")
    assert client.post(f"/proposals/{draft.id}/publish").status_code == 302
    assert db.session.get(Proposal, draft.id).state == ProposalState.PUBLISHED
    assert "A whole idea" not in client.get("/proposals/drafts").get_data(as_text=True)


def test_a_draft_can_be_deleted_only_by_its_author(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    draft_id = make_proposal(consultation, resident, ProposalState.DRAFT).id
    login(factories.UserFactory())
    assert client.post(f"/proposals/{draft_id}/delete").status_code == 404
    login(resident)
    assert client.post(f"/proposals/{draft_id}/delete").status_code == 302
    assert db.session.get(Proposal, draft_id) is None


def test_limits_are_checked_and_typed_text_kept(frozen, app, client, login, department, resident, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_BODY_MAX", 40)
    consultation = make_consultation(department)
    login(resident)
    response = client.post(
        f"/consultations/{consultation.id}/proposals/new",
        data=_form(title="T" * 151, body="A body that is much longer than forty characters in total."),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "at most 40 characters" in page
    assert "A body that is much longer than forty characters in total." in page  # kept
    assert 'aria-invalid="true"' in page
    assert db.session.execute(select(Proposal)).first() is None


def test_topic_and_area_are_required_when_the_city_has_them(frozen, client, login, department, resident, topic, area):
    consultation = make_consultation(department)
    login(resident)
    response = client.post(f"/consultations/{consultation.id}/proposals/new", data=_form())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose the topic of your proposal." in page and "Choose the area your proposal is about." in page
    response = client.post(
        f"/consultations/{consultation.id}/proposals/new",
        data=_form(topic_id=str(topic.id), area_id=str(area.id)),
    )
    assert response.status_code == 302
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert (proposal.topic_id, proposal.area_id) == (topic.id, area.id)


def test_language_defaults_to_the_authors(frozen, client, login, department):
    consultation = make_consultation(department)
    author = factories.UserFactory(locale="fr")
    login(author)
    page = client.get(f"/consultations/{consultation.id}/proposals/new").get_data(as_text=True)
    assert re.search(r'<option selected value="fr">|<option value="fr" selected>', page)


def test_image_needs_alt_text_and_real_image_content(frozen, client, login, department, resident, upload_folder):
    consultation = make_consultation(department)
    login(resident)
    url = f"/consultations/{consultation.id}/proposals/new"

    no_alt = _form(image=(io.BytesIO(PNG), "square.png"))
    response = client.post(url, data=no_alt, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Describe the image for people who cannot see it." in response.get_data(as_text=True)

    fake = _form(image=(io.BytesIO(b"<script>alert(1)</script>"), "photo.png"), image_alt="A photo")
    response = client.post(url, data=fake, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "not a PNG, JPEG or WebP image" in response.get_data(as_text=True)
    assert list(upload_folder.rglob("*.png")) == []

    good = _form(image=(io.BytesIO(PNG), "../../etc/square.png"), image_alt="The square with three old plane trees")
    response = client.post(url, data=good, content_type="multipart/form-data")
    assert response.status_code == 302
    proposal = db.session.execute(select(Proposal)).scalar_one()
    assert proposal.image_content_type == "image/png"
    assert re.fullmatch(r"[0-9a-f]{32}\.png", proposal.image_name)
    image = client.get(f"/proposals/{proposal.id}/image")
    assert image.status_code == 200 and image.mimetype == "image/png" and image.data == PNG
    preview = client.get(f"/proposals/{proposal.id}/preview").get_data(as_text=True)
    assert 'alt="The square with three old plane trees"' in preview
    # The draft's image is private.
    login(factories.UserFactory())
    assert client.get(f"/proposals/{proposal.id}/image").status_code == 404


def test_image_size_limit(frozen, app, client, login, department, resident, upload_folder, monkeypatch):
    monkeypatch.setitem(app.config, "PROPOSAL_IMAGE_MAX_BYTES", 60)
    consultation = make_consultation(department)
    login(resident)
    big = _form(image=(io.BytesIO(PNG + b"\x00" * 100), "big.png"), image_alt="Big")
    response = client.post(
        f"/consultations/{consultation.id}/proposals/new", data=big, content_type="multipart/form-data"
    )
    assert response.status_code == 400
    assert "larger than" in response.get_data(as_text=True)


def test_body_is_markdown_with_raw_html_escaped(frozen, client, login, department, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, resident, body="**Bold** <script>alert('x')</script> [link](javascript:alert(1))")
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "javascript:alert" not in page
    # Cards show a plain-text excerpt: no Markdown marks, nothing interpreted.
    listing = client.get(f"/consultations/{consultation.id}/proposals").get_data(as_text=True)
    excerpt = re.search(r'<p>(Bold[^<]*)</p>', listing).group(1)
    assert "**" not in excerpt and "&lt;script&gt;" in excerpt


def test_text_in_another_language_is_marked(frozen, client, department, resident):
    consultation = make_consultation(department)
    p = make_proposal(consultation, resident, title="أشجار في ساحة السوق", body="المزيد من الظل", language="ar")
    page = client.get(f"/proposals/{p.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'<h1 id="proposal-title" lang="ar" dir="rtl">أشجار في ساحة السوق</h1>', page)
    assert page.count("<h1") == 1
