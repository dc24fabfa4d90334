"""The demo city has consultations in every state and language, with exact counters."""

from __future__ import annotations

from sqlalchemy import func, select

from civic.consultations.models import Answer, Consultation, ConsultationTranslation, Question


def test_demo_consultations(app, session, client):
    result = app.test_cli_runner().invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    consultations = list(session.execute(select(Consultation)).scalars())
    assert {c.current_state.value for c in consultations} == {"draft", "scheduled", "open", "closed", "concluded"}
    assert {c.default_locale for c in consultations} == {"fr", "en", "es", "ar"}
    assert set(session.execute(select(ConsultationTranslation.locale)).scalars()) == {"fr", "en", "es", "ar"}
    assert any(c.report_overdue for c in consultations)
    concluded = [c for c in consultations if c.current_state.value == "concluded"]
    assert concluded and all(c.translation(c.default_locale).report for c in concluded)
    # Answers went through the service: every stored counter equals a recount.
    for q in session.execute(select(Question)).scalars():
        answered = session.execute(select(func.count()).select_from(Answer).where(Answer.question_id == q.id)).scalar_one()
        assert q.answer_count == answered
        if q.kind.value in ("single", "multiple", "scale"):
            for o in q.options:
                votes = sum(1 for a in session.execute(select(Answer.option_ids).where(Answer.question_id == q.id)).scalars() if o.id in a)
                assert o.vote_count == votes
    assert sum(c.participant_count for c in consultations) > 0
    # The pages render.
    for c in consultations:
        if c.is_public:
            assert client.get(f"/consultations/{c.id}").status_code == 200
    assert client.get("/consultations/").status_code == 200
