"""A small job interface: in-process by default, an RQ queue when Redis is configured.

``enqueue("civic.module.function", *args)`` records a job on the current database session.
Jobs are dispatched only once that session commits, so a job never sees data that was rolled
back.  In-process jobs run after the response has been sent (``call_on_close``) or, outside a
request, when the application context ends; with ``REDIS_URL`` set they go to the RQ queue
and a worker (``flask rq-worker``) runs them.  Job arguments must be plain data (ids, strings).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING = "civic_pending_jobs"
QUEUE_NAME = "civic"

Job = tuple[str, tuple[Any, ...]]


def enqueue(path: str, *args: Any) -> None:
    """Schedule ``path(*args)`` to run after the current transaction commits."""
    from civic.extensions import db

    _resolve(path)  # fail early on a typo
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so a rollback before any query still discards the job
    session.info.setdefault(_PENDING, []).append((path, args))


def _resolve(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module_name), attr)


def run_job(path: str, args: tuple[Any, ...] | list[Any]) -> None:
    """Run one job inside an application context and commit its work."""
    from civic.extensions import db

    try:
        _resolve(path)(*args)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s failed", path)
        raise


def _ready() -> list[Job]:
    if not has_app_context():
        return []
    if "_civic_ready_jobs" not in g:
        g._civic_ready_jobs = []
    return g._civic_ready_jobs


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    jobs = session.info.pop(_PENDING, None)
    if not jobs:
        return
    if not has_app_context():  # a session used outside Flask (migrations, scripts)
        return
    queue = _rq_queue()
    if queue is not None:
        for path, args in jobs:
            queue.enqueue("civic.core.jobs.rq_entry", path, list(args))
        return
    _ready().extend(jobs)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)


def _rq_queue():
    app = current_app._get_current_object()
    if app.config.get("JOBS_IN_PROCESS", True) and not app.config.get("REDIS_URL"):
        return None
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    queue = app.extensions.get("civic_rq_queue")
    if queue is None:
        from redis import Redis
        from rq import Queue

        queue = Queue(QUEUE_NAME, connection=Redis.from_url(url))
        app.extensions["civic_rq_queue"] = queue
    return queue


def _run_all(app: Flask, jobs: list[Job]) -> None:
    """Run jobs, and the jobs they enqueue in turn (for example a job that sends mail)."""
    with app.app_context():
        queue = list(jobs)
        while queue:
            path, args = queue.pop(0)
            try:
                run_job(path, args)
            except Exception:  # noqa: BLE001, S112 - run_job logged it; run the others
                continue
            finally:
                follow_ups = _ready()
                queue.extend(follow_ups)
                follow_ups.clear()


def run_ready_jobs() -> None:
    """Run in-process jobs whose transaction committed (CLI, tests, end of app context)."""
    jobs = _ready()
    while jobs:
        batch = list(jobs)
        jobs.clear()
        _run_all(current_app._get_current_object(), batch)


def init_app(app: Flask) -> None:
    @app.after_request
    def _defer_jobs(response):
        jobs = _ready()
        if jobs:
            batch = list(jobs)
            jobs.clear()
            real_app = current_app._get_current_object()
            if app.config.get("TESTING"):
                # The test client does not always close responses; run now (after commit).
                _run_all(real_app, batch)
            else:
                response.call_on_close(lambda: _run_all(real_app, batch))
        return response

    @app.teardown_appcontext
    def _leftover_jobs(exc):
        if exc is None and not has_request_context() and "_civic_ready_jobs" in g:
            jobs = list(g._civic_ready_jobs)
            g._civic_ready_jobs.clear()
            if jobs:
                _run_all(app, jobs)


_worker_app: Flask | None = None


def rq_entry(path: str, args: list[Any]) -> None:
    """Entry point for the RQ worker: builds the app once per worker process."""
    global _worker_app
    if has_app_context():
        run_job(path, tuple(args))
        return
    if _worker_app is None:
        from civic import create_app

        _worker_app = create_app()
    with _worker_app.app_context():
        run_job(path, tuple(args))
