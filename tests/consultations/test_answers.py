"""Answering: every kind of question, changes with exact counters, one answer per person,
the verified-only setting, results visibility, exports and open data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from civic.consultations import services
from civic.consultations.models import (
    Answer,
    Consultation,
    Participation,
    Question,
    QuestionKind,
    QuestionOption,
    ResultsVisibility,
)
from civic.consultations.registry import participants_of
from civic.core.errors import InvalidInput, PermissionDenied
from civic.extensions import db
from tests import factories
from tests.consultations.conftest import make_consultation, make_question

K = QuestionKind


def counters(question_id: int) -> tuple[int, list[tuple[int, int, int]]]:
    """(answer_count, [(vote_count, rank_sum, first_count) per option in order])"""
    db.session.expire_all()
    q = db.session.get(Question, question_id)
    return q.answer_count, [(o.vote_count, o.rank_sum, o.first_count) for o in q.options]


def recount(question_id: int) -> tuple[int, list[tuple[int, int, int]]]:
    """The same numbers computed from the answers themselves (what the counters must equal)."""
    db.session.expire_all()
    q = db.session.get(Question, question_id)
    answers = list(db.session.execute(select(Answer).where(Answer.question_id == question_id)).scalars())
    per_option = []
    for o in q.options:
        votes = sum(1 for a in answers if o.id in a.option_ids) if q.kind != K.RANKING else 0
        ranks = sum(a.option_ids.index(o.id) + 1 for a in answers if o.id in a.option_ids) if q.kind == K.RANKING else 0
        first = sum(1 for a in answers if a.option_ids and a.option_ids[0] == o.id) if q.kind == K.RANKING else 0
        per_option.append((votes, ranks, first))
    return len(answers), per_option


def opts(question) -> list[int]:
    return [o.id for o in question.options]


def test_every_kind_with_changes_keeps_exact_counters(session, department):
    c = make_consultation(department, "open")
    single = make_question(c, K.SINGLE, ["A", "B", "C"], position=1)
    multi = make_question(c, K.MULTIPLE, ["A", "B", "C", "D"], max_choices=2, position=2)
    ranking = make_question(c, K.RANKING, ["X", "Y", "Z"], position=3)
    scale = make_question(c, K.SCALE, position=4)
    free = make_question(c, K.FREE_TEXT, position=5)
    people = [factories.UserFactory() for _ in range(4)]
    s, m, r, sc = opts(single), opts(multi), opts(ranking), opts(scale)

    services.answer_questions(people[0], c, {single.id: s[0], multi.id: [m[0], m[1]], ranking.id: [r[2], r[0], r[1]], scale.id: sc[4], free.id: "More trees"})
    services.answer_questions(people[1], c, {single.id: s[0], multi.id: [m[1]], ranking.id: [r[0], r[1], r[2]], scale.id: sc[2]})
    services.answer_questions(people[2], c, {single.id: s[1], free.id: "Benches"})
    db.session.commit()

    assert counters(single.id) == (3, [(2, 0, 0), (1, 0, 0), (0, 0, 0)])
    assert counters(multi.id) == (2, [(1, 0, 0), (2, 0, 0), (0, 0, 0), (0, 0, 0)])
    assert counters(ranking.id) == (2, [(0, 3, 1), (0, 5, 0), (0, 4, 1)])
    assert counters(scale.id) == (2, [(0, 0, 0), (0, 0, 0), (1, 0, 0), (0, 0, 0), (1, 0, 0)])
    assert counters(free.id)[0] == 2

    # Changes: counters move from the old choice to the new one, totals stay.
    counts = services.answer_questions(people[0], c, {single.id: s[2], multi.id: [m[3]], ranking.id: [r[1], r[2], r[0]], scale.id: sc[0], free.id: "More shade"})
    db.session.commit()
    assert counts == {"new": 0, "changed": 5}
    assert counters(single.id) == (3, [(1, 0, 0), (1, 0, 0), (1, 0, 0)])
    assert counters(multi.id) == (2, [(0, 0, 0), (1, 0, 0), (0, 0, 0), (1, 0, 0)])
    assert counters(ranking.id) == (2, [(0, 4, 1), (0, 3, 1), (0, 5, 0)])
    assert counters(scale.id) == (2, [(1, 0, 0), (0, 0, 0), (1, 0, 0), (0, 0, 0), (0, 0, 0)])
    for q in (single, multi, ranking, scale, free):
        assert counters(q.id) == recount(q.id)
    assert db.session.execute(select(Answer.text).where(Answer.question_id == free.id, Answer.user_id == people[0].id)).scalar_one() == "More shade"

    db.session.expire_all()
    assert db.session.get(Consultation, c.id).participant_count == 3
    assert participants_of(c) == {p.id for p in people[:3]}


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (K.SINGLE, None, "Choose one answer."),
        (K.SINGLE, 999999, "Choose one of the answers offered."),
        (K.MULTIPLE, [], "Choose at least one answer."),
        (K.MULTIPLE, "three", "Choose at most 2 answers."),
        (K.RANKING, "missing", "Give each option a different position"),
        (K.FREE_TEXT, "", "Write your answer."),
        (K.FREE_TEXT, "x" * 501, "the limit is 500"),
    ],
)
def test_invalid_answers_are_refused(session, department, resident, kind, value, message):
    c = make_consultation(department, "open")
    q = make_question(c, kind, ["A", "B", "C"], max_choices=2)
    if value == "three":
        value = opts(q)
    elif value == "missing":
        value = opts(q)[:2]
    with pytest.raises(InvalidInput) as caught:
        services.answer_questions(resident, c, {q.id: value})
    assert message in caught.value.message
    db.session.rollback()
    assert counters(q.id) == (0, [(0, 0, 0)] * len(q.options))


def test_answering_twice_keeps_one_row(client, login, department, resident):
    c = make_consultation(department, "open")
    q = make_question(c, K.SINGLE)
    login(resident)
    for option in (q.options[0].id, q.options[0].id, q.options[1].id):
        response = client.post(f"/consultations/{c.id}/answers", data={f"q_{q.id}": option})
        assert response.status_code == 302
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 1
    assert db.session.execute(select(func.count()).select_from(Participation)).scalar_one() == 1
    assert counters(q.id) == (1, [(0, 0, 0), (1, 0, 0), (0, 0, 0)])
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "You answered this question" in page
    assert f'checked id="q_{q.id}-1"' in page


def test_the_unique_constraint_is_the_last_word(session, department, resident):
    """Even a row written behind the service's back does not make a second answer."""
    c = make_consultation(department, "open")
    q = make_question(c, K.SINGLE)
    db.session.add(Answer(question_id=q.id, consultation_id=c.id, user_id=resident.id, option_ids=[q.options[0].id]))
    db.session.commit()
    counts = services.answer_questions(resident, c, {q.id: q.options[1].id})
    db.session.commit()
    assert counts == {"new": 0, "changed": 1}
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 1


def test_answers_over_http_with_ranking_and_errors_kept(client, login, department, resident):
    c = make_consultation(department, "open")
    ranking = make_question(c, K.RANKING, ["X", "Y", "Z"], position=1)
    free = make_question(c, K.FREE_TEXT, position=2)
    login(resident)
    r = opts(ranking)
    # Two options in the same position: refused, what was typed is kept.
    response = client.post(
        f"/consultations/{c.id}/answers",
        data={f"q_{ranking.id}-{r[0]}": "1", f"q_{ranking.id}-{r[1]}": "1", f"q_{ranking.id}-{r[2]}": "2", f"q_{free.id}": "Keep this text"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and "Give each option a different position" in page
    assert "Keep this text" in page
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0

    response = client.post(
        f"/consultations/{c.id}/answers",
        data={f"q_{ranking.id}-{r[0]}": "3", f"q_{ranking.id}-{r[1]}": "1", f"q_{ranking.id}-{r[2]}": "2", f"q_{free.id}": "Keep this text"},
    )
    assert response.status_code == 302
    assert counters(ranking.id) == (1, [(0, 3, 0), (0, 1, 1), (0, 2, 0)])


def test_verified_only(app, client, login, department, resident, verified_resident):
    c = make_consultation(department, "open", verified_only=True)
    q = make_question(c, K.SINGLE)
    with app.test_request_context(), pytest.raises(PermissionDenied):
        services.answer_questions(resident, c, {q.id: q.options[0].id})
    db.session.rollback()

    login(resident)
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert "Only residents whose address the city has verified can answer" in page
    assert "Send my answers" not in page
    response = client.post(f"/consultations/{c.id}/answers", data={f"q_{q.id}": q.options[0].id})
    assert response.status_code == 302
    assert db.session.execute(select(func.count()).select_from(Answer)).scalar_one() == 0

    login(verified_resident)
    assert client.post(f"/consultations/{c.id}/answers", data={f"q_{q.id}": q.options[0].id}).status_code == 302
    assert counters(q.id)[0] == 1


def _results_table(page: str) -> str:
    return page.split('<h3 id="results">', 1)[1]


def test_results_live_or_after_closing(app, client, department, clock):
    live = make_consultation(department, "open", results=ResultsVisibility.LIVE)
    later = make_consultation(department, "open", results=ResultsVisibility.AFTER_CLOSE)
    people = [factories.UserFactory() for _ in range(3)]
    for c in (live, later):
        q = make_question(c, K.SINGLE, ["Yes", "No"])
        services.answer_questions(people[0], c, {q.id: q.options[0].id})
        services.answer_questions(people[1], c, {q.id: q.options[0].id})
        services.answer_questions(people[2], c, {q.id: q.options[1].id})
    db.session.commit()

    results = _results_table(client.get(f"/consultations/{live.id}").get_data(as_text=True))
    assert "3 people answered" in results
    assert "66.7" in results and "33.3" in results
    assert '<progress class="result-bar" max="100" value="66.7" aria-hidden="true">' in results
    assert client.get(f"/consultations/{live.id}/results.json").status_code == 200

    hidden = _results_table(client.get(f"/consultations/{later.id}").get_data(as_text=True))
    assert "The results will be shown when the consultation closes." in hidden
    assert "66.7" not in hidden
    assert client.get(f"/consultations/{later.id}/results.json").status_code == 302  # sign in first

    clock.move_to(later.closes_at)
    results = _results_table(client.get(f"/consultations/{later.id}").get_data(as_text=True))
    assert "66.7" in results
    data = client.get(f"/consultations/{later.id}/results.json").get_json()
    question = data["questions"][0]
    assert question["answered"] == 3
    assert [o["count"] for o in question["options"]] == [2, 1]
    assert [o["percent"] for o in question["options"]] == [66.7, 33.3]
    assert data["consultation"]["participants"] == 3
    text = json.dumps(data)
    for person in people:
        assert person.email not in text and person.display_name not in text


def test_staff_read_free_text_and_export(client, login, department, staff, resident):
    c = make_consultation(department, "open")
    single = make_question(c, K.SINGLE, ["Yes", "No"], position=1)
    free = make_question(c, K.FREE_TEXT, position=2)
    people = [factories.UserFactory() for _ in range(55)]
    for i, person in enumerate(people):
        services.answer_questions(person, c, {single.id: single.options[i % 2].id, free.id: f"Idea number {i}"})
    services.answer_questions(resident, c, {free.id: "=HYPERLINK(\"http://evil\")"})
    db.session.commit()

    login(resident)
    assert client.get(f"/consultations/{c.id}/questions/{free.id}/answers").status_code == 403
    assert client.get(f"/consultations/{c.id}/export.csv").status_code == 403

    login(staff)
    first = client.get(f"/consultations/{c.id}/questions/{free.id}/answers").get_data(as_text=True)
    assert "56 answers" in first
    assert first.count("<blockquote>") == 50
    second = client.get(f"/consultations/{c.id}/questions/{free.id}/answers?page=2").get_data(as_text=True)
    assert second.count("<blockquote>") == 6

    response = client.get(f"/consultations/{c.id}/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["question_position", "question", "kind"]
    option_rows = [r for r in rows[1:] if r[2] == "single"]
    assert [(r[4], r[5]) for r in option_rows] == [("Yes", "28"), ("No", "27")]
    texts = [r[8] for r in rows[1:] if r[2] == "free_text"]
    assert len(texts) == 56 and "Idea number 7" in texts
    assert "'=HYPERLINK(\"http://evil\")" in texts  # formulas neutralised

    data = json.loads(client.get(f"/consultations/{c.id}/export.json").get_data(as_text=True))
    by_kind = {q["kind"]: q for q in data["questions"]}
    assert [o["count"] for o in by_kind["single"]["options"]] == [28, 27]
    assert len(by_kind["free_text"]["answers"]) == 56
    assert resident.email not in json.dumps(data)


def test_no_answers_once_closed(session, department, resident, clock):
    c = make_consultation(department, "open")
    q = make_question(c, K.SINGLE)
    services.answer_questions(resident, c, {q.id: q.options[0].id})
    db.session.commit()
    clock.move_to(c.closes_at)
    from civic.core.errors import Conflict

    with pytest.raises(Conflict):
        services.answer_questions(resident, c, {q.id: q.options[1].id})
    db.session.rollback()
    assert counters(q.id) == (1, [(1, 0, 0), (0, 0, 0), (0, 0, 0)])


def test_results_are_read_from_counters_not_answers(count_queries, department):
    """Results pages never scan the answers table."""
    c = make_consultation(department, "closed")
    q = make_question(c, K.SINGLE, ["Yes", "No"])
    db.session.execute(QuestionOption.__table__.update().where(QuestionOption.question_id == q.id).values(vote_count=5))
    db.session.execute(Question.__table__.update().where(Question.id == q.id).values(answer_count=10))
    db.session.commit()
    with count_queries() as counted:
        data = services.open_data(services.get_consultation(c.id, full=True), services.get_consultation(c.id, full=True).questions)
    assert [o["percent"] for o in data["questions"][0]["options"]] == [50.0, 50.0]
    assert not any("consultation_answer" in s for s in counted.statements)
