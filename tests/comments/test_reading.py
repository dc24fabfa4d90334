"""Reading: pages of threads, permalinks, the reply form without script, sanitized Markdown,
the JSON answer for scripts, and the discussions plugged into other pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from civic.comments.models import Comment
from civic.extensions import db
from tests.comments.conftest import (
    NOW,
    make_consultation,
    make_meeting,
    make_proposal,
    make_section,
    post,
)


@pytest.fixture
def small_pages(app):
    old = app.config["COMMENTS_PER_PAGE"]
    app.config["COMMENTS_PER_PAGE"] = 3
    yield 3
    app.config["COMMENTS_PER_PAGE"] = old


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="comment depth-0" id="comment-(\d+)"', html)]


def test_long_threads_are_paged_by_top_level_comments(client, clock, session, department, resident,
                                                      verified_resident, small_pages):
    consultation = make_consultation(department)
    roots = []
    for i in range(7):
        clock.move_to(NOW + timedelta(minutes=i))
        roots.append(post(resident, "consultation", consultation, f"Root {i}"))
        post(verified_resident, "consultation", consultation, f"Reply to root {i}", parent=roots[-1])
    url = f"/consultations/{consultation.id}"
    first = client.get(url).get_data(as_text=True)
    assert _ids(first) == [r.id for r in roots[:3]]
    assert "Reply to root 2" in first and "Reply to root 3" not in first  # replies travel with their root
    assert "Page 1 of 3" in first and f'href="{url}?cpage=2#comments"' in first
    assert _ids(client.get(url + "?cpage=3").get_data(as_text=True)) == [roots[6].id]
    assert _ids(client.get(url + "?cpage=99").get_data(as_text=True)) == [roots[6].id]  # clamped
    newest = client.get(url + "?sort=newest").get_data(as_text=True)
    assert _ids(newest) == [r.id for r in reversed(roots[4:])]
    assert f'href="{url}?sort=newest&amp;cpage=2#comments"' in newest


def test_permalinks_lead_to_the_right_page_of_the_thread(client, clock, session, department, resident,
                                                         verified_resident, small_pages):
    consultation = make_consultation(department)
    roots = []
    for i in range(7):
        clock.move_to(NOW + timedelta(minutes=i))
        roots.append(post(resident, "consultation", consultation, f"Root {i}"))
    reply = post(verified_resident, "consultation", consultation, "Deep in thread 4", parent=roots[4])
    base = f"/consultations/{consultation.id}"
    assert client.get(f"/comments/{roots[0].id}").headers["Location"] == f"{base}#comment-{roots[0].id}"
    assert client.get(f"/comments/{roots[4].id}").headers["Location"] == f"{base}?cpage=2#comment-{roots[4].id}"
    assert client.get(f"/comments/{reply.id}").headers["Location"] == f"{base}?cpage=2#comment-{reply.id}"
    assert client.get(f"/comments/{roots[6].id}?sort=newest").headers["Location"] == (
        f"{base}?sort=newest#comment-{roots[6].id}"
    )
    assert client.get(f"/comments/{roots[0].id}?sort=newest").headers["Location"] == (
        f"{base}?sort=newest&cpage=3#comment-{roots[0].id}"
    )
    # The page it leads to holds the comment.
    assert f'id="comment-{reply.id}"' in client.get(f"{base}?cpage=2").get_data(as_text=True)
    assert client.get("/comments/999999").status_code == 404


def test_permalinks_of_every_kind_of_discussion(client, session, department, resident):
    consultation = make_consultation(department)
    section = make_section(consultation)
    proposal = make_proposal(consultation, resident)
    meeting = make_meeting(department)
    cases = {
        post(resident, "section", section, "s"): f"/discussions/sections/{section.id}",
        post(resident, "proposal", proposal, "p"): f"/proposals/{proposal.id}",
        post(resident, "meeting", meeting, "m"): f"/meetings/{meeting.id}",
    }
    for comment, page in cases.items():
        location = client.get(f"/comments/{comment.id}").headers["Location"]
        assert location == f"{page}#comment-{comment.id}"
        assert f'id="comment-{comment.id}"' in client.get(page).get_data(as_text=True)


def test_comments_on_drafts_are_not_found(client, session, department, staff):
    draft = make_consultation(department, "draft")
    comment = Comment(consultation_id=draft.id, author_id=staff.id, body="Internal", language="en", depth=0)
    db.session.add(comment)
    db.session.commit()
    assert client.get(f"/comments/{comment.id}").status_code == 404


def test_reply_form_without_script(client, login, session, department, resident, verified_resident):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, "Start here")
    login(verified_resident)
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    link = f'href="/consultations/{consultation.id}?reply_to={comment.id}#reply-form"'
    assert link in html
    assert 'id="reply-form"' not in html
    html = client.get(f"/consultations/{consultation.id}?reply_to={comment.id}").get_data(as_text=True)
    form_at = html.index('id="reply-form"')
    assert html.index(f'id="comment-{comment.id}"') < form_at  # under that comment
    assert f'name="parent_id" value="{comment.id}"' in html[form_at:]
    assert "Your reply to Amaia Etxeberria" in html[form_at:]
    response = client.post(f"/discussions/consultations/{consultation.id}/comments",
                           data={"body": "Here is my reply", "language": "en", "parent_id": str(comment.id)})
    reply = db.session.query(Comment).filter_by(parent_id=comment.id).one()
    assert response.headers["Location"] == f"/comments/{reply.id}"


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<svg/onload=alert(1)>",
        "![img](https://evil.example/x.png)",
        "<iframe src=https://evil.example></iframe>",
        "\"><script>alert(1)</script>",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_markdown_is_sanitized(client, session, department, resident, payload):
    consultation = make_consultation(department)
    comment = post(resident, "consultation", consultation, f"Look: {payload}")
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    start = html.index(f'id="comment-{comment.id}"')
    body = html[html.index('class="comment-body"', start):html.index("</div>", html.index('class="comment-body"', start))]
    for tag in re.findall(r"<[^>]+>", body):
        t = tag.lower()
        assert not t.startswith(("<script", "<img", "<svg", "<iframe")), tag
        assert not re.search(r"\son\w+\s*=", t), tag
        assert "javascript:" not in t and "data:" not in t, tag
    assert "Look:" in body


def test_markdown_subset_and_ugc_links(client, session, department, resident):
    consultation = make_consultation(department)
    post(resident, "consultation", consultation,
         "*soft* **strong**\n\n- one\n- two\n\n> quoted\n\n[the city](https://city.example/plan)")
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert "<em>soft</em>" in html and "<strong>strong</strong>" in html
    assert "<li>one</li>" in html and "<blockquote>" in html
    assert '<a href="https://city.example/plan" rel="nofollow ugc noopener">the city</a>' in html


def test_comments_in_another_language_are_marked(client, session, department, resident):
    consultation = make_consultation(department)
    post(resident, "consultation", consultation, "لماذا لا نزرع أشجاراً؟", language="ar")
    html = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert '<div class="comment-body" lang="ar" dir="rtl">' in html


def test_posting_with_script_gets_json_and_fragments(client, login, session, department, resident,
                                                     verified_resident):
    consultation = make_consultation(department)
    parent = post(resident, "consultation", consultation, "Start")
    login(verified_resident)
    url = f"/discussions/consultations/{consultation.id}/comments"
    response = client.post(url, data={"body": "A quick reply", "language": "en", "parent_id": str(parent.id)},
                           headers={"Accept": "application/json"})
    assert response.status_code == 201
    data = response.get_json()
    reply = db.session.get(Comment, data["id"])
    assert data["ok"] is True and data["parent_id"] == parent.id and data["depth"] == 1
    assert data["html"].lstrip().startswith(f'<li class="comment depth-1" id="comment-{reply.id}"')
    assert "A quick reply" in data["html"]
    assert "2 comments" in data["summary"] and data["count"] == 2
    assert data["message"] == "Your reply is published."
    # A failed one returns the form with its problems (and no page).
    failed = client.post(url, data={"body": "", "language": "en"}, headers={"Accept": "application/json"})
    assert failed.status_code == 400
    body = failed.get_json()
    assert body["ok"] is False and "There is a problem" in body["html"] and "<html" not in body["html"]
    assert 'id="new-body"' in body["html"]
    # A closed discussion refuses with a message.
    closed = make_consultation(department, "closed")
    refused = client.post(f"/discussions/consultations/{closed.id}/comments",
                          data={"body": "Late", "language": "en"}, headers={"Accept": "application/json"})
    assert refused.status_code == 403 and refused.get_json()["message"] == "This discussion is closed."


def test_script_forms_work_with_csrf_protection(session, database_url, department, resident):
    from civic import create_app
    from tests.conftest import CivicTestClient, sign_in

    consultation = make_consultation(department)
    strict = create_app({"CIVIC_ENV": "testing", "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": database_url})
    strict.test_client_class = CivicTestClient
    client = strict.test_client()
    with strict.app_context():
        sign_in(client, db.session.merge(resident))
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    url = f"/discussions/consultations/{consultation.id}/comments"
    assert client.post(url, data={"body": "No token", "language": "en"},
                       headers={"Accept": "application/json"}).status_code == 400
    ok = client.post(url, data={"body": "With token", "language": "en"},
                     headers={"Accept": "application/json", "X-CSRFToken": token})
    assert ok.status_code == 201


def test_discussions_appear_on_the_pages_of_what_they_discuss(client, session, department, resident):
    consultation = make_consultation(department)
    section = make_section(consultation, title="Article 1: bike lanes")
    proposal = make_proposal(consultation, resident)
    meeting = make_meeting(department)
    post(resident, "section", section, "About the bike lanes")
    post(resident, "section", section, "Another thought")
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert '<h2 id="comments">Discussion</h2>' in page
    assert f'href="/discussions/sections/{section.id}"' in page
    assert "Comment on this section (2)" in page
    assert "About the bike lanes" in page  # the consultation's discussion includes its sections'
    section_page = client.get(f"/discussions/sections/{section.id}").get_data(as_text=True)
    assert "<h1>Section 1: <span>Article 1: bike lanes</span></h1>" in section_page
    assert section_page.count("<h1") == 1
    assert "About the bike lanes" in section_page
    for url in (f"/proposals/{proposal.id}", f"/meetings/{meeting.id}"):
        html = client.get(url).get_data(as_text=True)
        assert '<h2 id="comments">Discussion</h2>' in html and "No comments yet." in html


def test_commenters_take_part_in_the_consultation(app, session, department, resident, verified_resident):
    from civic.consultations.registry import participants_of

    consultation = make_consultation(department)
    proposal = make_proposal(consultation, factories_user())
    post(resident, "consultation", consultation, "I was here")
    post(verified_resident, "proposal", proposal, "And I commented a proposal")
    with app.test_request_context():
        people = participants_of(consultation)
    assert {resident.id, verified_resident.id} <= people


def factories_user():
    from tests import factories

    return factories.UserFactory()
