"""The job interface and the mail interface."""

from __future__ import annotations

from sqlalchemy import select

from civic.core import jobs
from civic.core.mail import build_message, send_mail
from civic.extensions import db
from civic.mail.models import OutboxMessage

CALLS: list[tuple] = []


def record_call(*args):
    CALLS.append(args)


def test_jobs_run_only_after_commit(app):
    CALLS.clear()
    with app.app_context():
        jobs.enqueue("tests.core.test_jobs_mail.record_call", 1, "a")
        assert CALLS == []
        db.session.commit()
        jobs.run_ready_jobs()
    assert CALLS == [(1, "a")]


def test_jobs_are_dropped_on_rollback(app):
    CALLS.clear()
    with app.app_context():
        jobs.enqueue("tests.core.test_jobs_mail.record_call", 2)
        db.session.rollback()
        db.session.commit()
        jobs.run_ready_jobs()
    assert CALLS == []


def test_jobs_left_at_the_end_of_an_app_context_still_run(app):
    CALLS.clear()
    with app.app_context():
        jobs.enqueue("tests.core.test_jobs_mail.record_call", 3)
        db.session.commit()
    assert CALLS == [(3,)]


def test_enqueue_refuses_unknown_function(app):
    import pytest

    with app.app_context(), pytest.raises(AttributeError):
        jobs.enqueue("tests.core.test_jobs_mail.no_such_function")


def test_jobs_go_to_rq_when_redis_is_configured(app, monkeypatch):
    import fakeredis
    from rq import Queue

    fake = fakeredis.FakeStrictRedis()
    queue = Queue(jobs.QUEUE_NAME, connection=fake)
    with app.app_context():
        monkeypatch.setitem(app.config, "REDIS_URL", "redis://fake")
        monkeypatch.setitem(app.config, "JOBS_IN_PROCESS", False)
        monkeypatch.setitem(app.extensions, "civic_rq_queue", queue)
        CALLS.clear()
        jobs.enqueue("tests.core.test_jobs_mail.record_call", 4)
        db.session.commit()
        assert CALLS == []
        assert queue.count == 1
        job = queue.jobs[0]
        assert job.func_name == "civic.core.jobs.rq_entry"
        assert job.args == ("tests.core.test_jobs_mail.record_call", [4])
        # A worker runs the entry point; inside an app context it runs directly.
        jobs.rq_entry(*job.args)
    assert CALLS == [(4,)]


def test_capture_backend_collects_messages(app, outbox):
    with app.app_context():
        send_mail("ana@example.org", "Hello", "Text body")
        assert outbox == []  # not before commit
        db.session.commit()
    assert outbox[-1]["to"] == "ana@example.org"
    assert outbox[-1]["subject"] == "Hello"


def test_console_backend_prints_and_keeps_an_outbox(app, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    with app.app_context():
        send_mail("omar@example.org", "Bonjour", "Corps du message")
        db.session.commit()
    assert "omar@example.org" in capsys.readouterr().err
    with app.app_context():
        kept = db.session.execute(select(OutboxMessage)).scalar_one()
        assert kept.subject == "Bonjour" and kept.body_text == "Corps du message"


def test_smtp_backend_sends_through_the_server(app, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, msg):
            sent.append(("send", msg["To"], msg["Subject"]))

    monkeypatch.setattr("civic.core.mail.smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "SMTP_USERNAME", "civic")
    with app.app_context():
        send_mail("kim@example.org", "Subject", "Body")
        db.session.commit()
    assert ("starttls",) in sent and ("login", "civic") in sent
    assert ("send", "kim@example.org", "Subject") in sent


def test_message_has_text_and_optional_html(app):
    with app.app_context():
        msg = build_message("a@example.org", "S", "plain", "<p>html</p>", {"List-Unsubscribe": "<x>"})
    assert msg.get_body(("plain",)).get_content().strip() == "plain"
    assert msg.get_body(("html",)).get_content().strip() == "<p>html</p>"
    assert msg["List-Unsubscribe"] == "<x>"


def enqueue_mail_job(to):
    send_mail(to, "From a job", "Queued by another job")


def test_jobs_enqueued_by_jobs_run_too_even_during_a_request(app, outbox):
    with app.test_request_context("/"):
        jobs.enqueue("tests.core.test_jobs_mail.enqueue_mail_job", "nested@example.org")
        db.session.commit()
        ready = jobs._ready()
        batch = list(ready)
        ready.clear()
        jobs._run_all(app, batch)
    assert [m["to"] for m in outbox] == ["nested@example.org"]
