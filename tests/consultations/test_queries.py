"""The listing and the consultation page issue the same number of queries for 2 or 20 items."""

from __future__ import annotations

from civic.consultations import services
from civic.consultations.models import Area, Attachment, QuestionKind, Topic
from civic.extensions import db
from tests import factories
from tests.consultations.conftest import make_consultation, make_question, make_section


def _listing_queries(client, count_queries, path: str) -> int:
    with count_queries() as counted:
        response = client.get(path)
    assert response.status_code == 200
    return counted.count


def _city(department, n: int) -> None:
    topics = [Topic(slug=f"t{n}-{i}", name_translations={"en": f"Topic {i}"}) for i in range(3)]
    area = Area(slug=f"a{n}", name_translations={"en": "Area"})
    db.session.add_all([*topics, area])
    db.session.commit()
    for i in range(n):
        make_consultation(department, ("open", "closed", "concluded")[i % 3], title=f"Consultation {i}",
                          translations={"fr": f"Consultation {i} (fr)"}, topics=topics[: 1 + i % 3], area=area,
                          commit=False)
    db.session.commit()


def test_listing_queries_do_not_grow(client, login, count_queries, department, other_department, resident):
    _city(department, 2)
    login(resident)
    few = _listing_queries(client, count_queries, "/consultations/?sort=newest")
    few_home = _listing_queries(client, count_queries, "/")
    few_dept = _listing_queries(client, count_queries, f"/consultations/departments/{department.slug}")
    _city(other_department, 18)
    login(resident)
    assert _listing_queries(client, count_queries, "/consultations/?sort=newest") == few
    assert _listing_queries(client, count_queries, "/") == few_home
    assert _listing_queries(client, count_queries, f"/consultations/departments/{department.slug}") == few_dept
    assert _listing_queries(client, count_queries, "/consultations/overdue-reports") <= few


def _fill(consultation, n: int, people) -> None:
    for i in range(n):
        make_section(consultation, i + 1)
        kind = (QuestionKind.SINGLE, QuestionKind.FREE_TEXT, QuestionKind.MULTIPLE, QuestionKind.RANKING, QuestionKind.SCALE)[i % 5]
        make_question(consultation, kind, ["A", "B", "C"], position=i + 1, commit=False)
        db.session.add(Attachment(consultation_id=consultation.id, title=f"Doc {i}", language="en",
                                  filename=f"doc{i}.pdf", stored_name=f"{consultation.id:08x}{i:024x}.pdf",
                                  content_type="application/pdf", size_bytes=100, position=i))
    db.session.commit()
    full = services.get_consultation(consultation.id, full=True)
    for person in people:
        values = {}
        for q in full.questions:
            ids = [o.id for o in q.options]
            values[q.id] = {QuestionKind.SINGLE: ids[:1] and ids[0], QuestionKind.MULTIPLE: ids[:2], QuestionKind.RANKING: ids,
                            QuestionKind.SCALE: ids and ids[2], QuestionKind.FREE_TEXT: "An idea"}[q.kind]
        services.answer_questions(person, full, values)
    db.session.commit()


def test_consultation_page_queries_do_not_grow(app, client, login, count_queries, department):
    small = make_consultation(department, "open")
    big = make_consultation(department, "open")
    voter = factories.UserFactory()
    others = [factories.UserFactory() for _ in range(3)]
    with app.test_request_context():
        _fill(small, 2, [voter, *others[:1]])
        _fill(big, 20, [voter, *others])
    small_id, big_id = small.id, big.id
    login(voter)
    with count_queries() as few:
        assert client.get(f"/consultations/{small_id}").status_code == 200
    with count_queries() as many:
        assert client.get(f"/consultations/{big_id}").status_code == 200
    assert many.count == few.count, "\n".join(many.statements)
    # This package's own part: the consultation, its topics, translations, sections, documents,
    # questions, options and the person's answers (other capabilities add their sections).
    own = [s for s in few.statements if "FROM consultation" in s]
    assert len(own) <= 8, own

    # Staff pages too: management page and exports.
    staff = factories.UserFactory(staff_of=department)
    login(staff)
    for suffix in ("manage", "export.json", "results.json"):
        with count_queries() as few:
            client.get(f"/consultations/{small_id}/{suffix}")
        with count_queries() as many:
            client.get(f"/consultations/{big_id}/{suffix}")
        assert many.count == few.count, suffix


def test_answering_many_questions_is_bounded_per_question(app, client, login, count_queries, department):
    """Answering costs a fixed number of statements per question answered."""
    c = make_consultation(department, "open")
    qs = [make_question(c, QuestionKind.SINGLE, ["A", "B"], position=i + 1) for i in range(4)]
    url = f"/consultations/{c.id}/answers"
    choices = {f"q_{q.id}": q.options[0].id for q in qs}
    first = dict(list(choices.items())[:1])
    login(factories.UserFactory())
    with count_queries() as one:
        assert client.post(url, data=first).status_code == 302
    login(factories.UserFactory())
    with count_queries() as four:
        assert client.post(url, data=choices).status_code == 302
    per_question = (four.count - one.count) / 3
    assert per_question == int(per_question) and per_question <= 4
