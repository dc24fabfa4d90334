"""What the benchmark measures: pages, signed-in sessions, CSRF tokens and writes.

Signing in: a ``user_session`` row is created for a bench person and the Flask session cookie
holding its token is signed with the server's SECRET_KEY (what the sign-in form would do,
without paying for Argon2 at every run). CSRF tokens are read from the pages, as a browser
does: each writer fetches the home page once (its language form carries the token) and keeps
the cookie the server sent with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import random
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

from tools.bench.build import LANDMARKS, Layout
from tools.bench.load import USER_AGENT, Req, send

SEARCH_WORD = LANDMARKS[17]
COOKIE = "civic_session"


@dataclass
class Page:
    name: str
    reqs: list[Req]
    signed_in: bool = False
    write: bool = False
    #: What each write is expected to leave in the database (for the report).
    expect: str = ""
    extra: dict = field(default_factory=dict)


# ---- sessions -----------------------------------------------------------------------------------


def session_cookie(app, token: str) -> str:
    """The signed Flask session cookie of a browser signed in with server-side ``token``."""
    from flask_login.utils import _create_identifier

    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                  headers={"User-Agent": USER_AGENT}):
        ident = _create_identifier()
    data = {"_user_id": token, "_fresh": True, "_id": ident}
    return app.session_interface.get_signing_serializer(app).dumps(data)


def create_sessions(app, user_ids: list[int], hours: int = 12) -> dict[int, str]:
    """A server-side session for each person; returns ``{user id: cookie value}``."""
    from civic.accounts.models import UserSession
    from civic.core.time import utcnow
    from civic.extensions import db

    now = utcnow()
    tokens = {uid: secrets.token_urlsafe(32) for uid in user_ids}
    with app.app_context():
        table = UserSession.__table__
        rows = [
            {"token_hash": hashlib.sha256(tok.encode()).hexdigest(), "user_id": uid, "created_at": now,
             "last_seen_at": now, "expires_at": now + timedelta(hours=hours), "remember": False, "device": "bench"}
            for uid, tok in tokens.items()
        ]
        for i in range(0, len(rows), 5000):
            db.session.execute(table.insert(), rows[i:i + 5000])
        db.session.commit()
    return {uid: session_cookie(app, tok) for uid, tok in tokens.items()}


def delete_bench_sessions(app) -> None:
    from civic.accounts.models import UserSession
    from civic.extensions import db

    with app.app_context():
        db.session.execute(sa.delete(UserSession).where(UserSession.device == "bench"))
        db.session.commit()


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def fetch_csrf(base: str, cookies: dict[int, str], threads: int = 4, path: str = "/") -> dict[int, tuple[str, str]]:
    """For each person: (cookie after the page, CSRF token read from the page)."""
    url = urlsplit(base)
    out: dict[int, tuple[str, str]] = {}
    items = list(cookies.items())
    lock = threading.Lock()

    def worker(chunk):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        for uid, cookie in chunk:
            status, body, resp = send(conn, Req("GET", path, {"Cookie": f"{COOKIE}={cookie}"}))
            if status != 200:
                raise RuntimeError(f"GET {path} as person {uid}: HTTP {status}")
            match = _CSRF.search(body.decode("utf-8", "replace"))
            if not match:
                raise RuntimeError(f"no CSRF token on {path}")
            jar = SimpleCookie()
            for header in resp.headers.get_all("Set-Cookie") or []:
                jar.load(header)
            new_cookie = jar[COOKIE].value if COOKIE in jar else cookie
            with lock:
                out[uid] = (new_cookie, match.group(1))
        conn.close()

    chunks = [items[i::threads] for i in range(threads)]
    workers = [threading.Thread(target=worker, args=(c,), daemon=True) for c in chunks if c]
    for w in workers:
        w.start()
    for w in workers:
        w.join(600)
    if len(out) != len(items):
        raise RuntimeError("could not fetch every writer's CSRF token")
    return out


# ---- the pages ------------------------------------------------------------------------------------


def read_pages(layout: Layout, deep_page: int, reader_cookie: str) -> list[Page]:
    main = layout.main_consultation_id
    signed = {"Cookie": f"{COOKIE}={reader_cookie}"}
    pages = [
        Page("home", [Req("GET", "/")]),
        Page("consultation listing", [Req("GET", "/consultations/")]),
        Page("consultation page", [Req("GET", f"/consultations/{main}")]),
        Page("proposal listing p1", [Req("GET", f"/consultations/{main}/proposals")]),
        Page(f"proposal listing p{deep_page}", [Req("GET", f"/consultations/{main}/proposals?page={deep_page}")]),
        Page("all proposals p1", [Req("GET", "/proposals")]),
        Page("proposal + 100 comments", [Req("GET", f"/proposals/{layout.hot_proposal_id}")]),
        Page("section comments", [Req("GET", f"/discussions/sections/{layout.hot_section_id}")]),
        Page("meeting calendar", [Req("GET", "/meetings/")]),
        Page("search proposals", [Req("GET", "/proposals?" + urlencode({"q": SEARCH_WORD}))]),
        Page("signed in: proposal listing", [Req("GET", f"/consultations/{main}/proposals", signed)], signed_in=True),
        Page("signed in: proposal page", [Req("GET", f"/proposals/{layout.hot_proposal_id}", signed)], signed_in=True),
    ]
    return pages


def write_pages(layout: Layout, writers: dict[int, tuple[str, str]], proposal_count: int, per_kind: int,
                seed: int) -> list[Page]:
    """Distinct writes: supports of (writer, proposal) pairs never used, comments, answers."""
    rng = random.Random(seed)  # noqa: S311
    people = sorted(writers)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def headers(uid: int, **more) -> dict[str, str]:
        return {"Cookie": f"{COOKIE}={writers[uid][0]}", **form, **more}

    supports: list[Req] = []
    seen: set[tuple[int, int]] = set()
    while len(supports) < per_kind and len(seen) < len(people) * proposal_count:
        uid = people[len(supports) % len(people)]
        pid = rng.randint(2, proposal_count)
        if pid % 20 == 0 or (uid, pid) in seen:  # under evaluation ones are not in this consultation's flow
            continue
        seen.add((uid, pid))
        supports.append(Req("POST", f"/proposals/{pid}/support", headers(uid), urlencode({"csrf_token": writers[uid][1]})))
    comments = []
    for k in range(per_kind):
        uid = people[k % len(people)]
        pid = rng.randint(2, proposal_count)
        body = urlencode({"csrf_token": writers[uid][1], "body": f"Bench comment {k}: more benches near the fountain.",
                          "language": "en", "position": "in_favour"})
        comments.append(Req("POST", f"/discussions/proposals/{pid}/comments",
                            headers(uid, Accept="application/json"), body))
    answers = []
    q_ids = layout.question_ids
    for uid in people:  # one answer per person: each is a new participation
        fields = {"csrf_token": writers[uid][1]}
        for q in q_ids:
            fields[f"q_{q}"] = str(rng.choice(layout.option_ids[str(q)]))
        answers.append(Req("POST", f"/consultations/{layout.main_consultation_id}/answers", headers(uid), urlencode(fields)))
    return [
        Page("write: support", supports, signed_in=True, write=True, expect="proposal_support"),
        Page("write: comment", comments, signed_in=True, write=True, expect="comment"),
        Page("write: answer", answers, signed_in=True, write=True, expect="consultation_answer"),
    ]


# ---- query counts (in-process, never in production responses) ---------------------------------------


def count_queries(app, page: Page, repeat: int = 5) -> tuple[int, int, float]:
    """(status, SQL statements, CPU ms) of a request to ``page`` made in-process: the
    statements of one request, and the Python CPU time per request over ``repeat`` more
    (CPU time hardly depends on what else runs on the machine, unlike throughput)."""
    from civic.extensions import db

    req = page.reqs[0]
    client = app.test_client()
    headers = dict(req.headers)
    cookie = headers.pop("Cookie", None)
    if cookie:
        name, _, value = cookie.partition("=")
        client.set_cookie(name, value)
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    def once():
        return client.open(req.path, method=req.method, headers=headers, data=req.body or None,
                           environ_base={"REMOTE_ADDR": "127.0.0.1"})

    once()  # warm: templates compiled, caches filled, as in a running worker
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        resp = once()
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    started = time.process_time()
    for _ in range(repeat):
        once()
    cpu_ms = (time.process_time() - started) / repeat * 1000
    return resp.status_code, len(statements), round(cpu_ms, 1)


# ---- writes: count, and leave the database as it was built ---------------------------------------

WRITE_TABLES = {
    "proposal_support": "user_id",
    "comment": "author_id",
    "consultation_answer": "user_id",
}


def count_writes(engine: sa.Engine, first_writer: int) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f'SELECT count(*) FROM "{table}" WHERE {col} >= :w'), {"w": first_writer}).scalar_one()  # noqa: S608
            for table, col in WRITE_TABLES.items()
        }


def reset_writes(engine: sa.Engine, first_writer: int) -> None:
    """Remove what bench writers wrote and put the affected counters back (exact)."""
    w = {"w": first_writer}
    with engine.begin() as conn:
        props = [r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT proposal_id FROM proposal_support WHERE user_id >= :w UNION "
            "SELECT DISTINCT proposal_id FROM comment WHERE author_id >= :w AND proposal_id IS NOT NULL"), w)]
        if not props and not conn.execute(sa.text(
                "SELECT 1 FROM consultation_answer WHERE user_id >= :w LIMIT 1"), w).first():
            return
        conn.execute(sa.text("DELETE FROM proposal_support WHERE user_id >= :w"), w)
        conn.execute(sa.text("DELETE FROM proposal_support_budget WHERE user_id >= :w"), w)
        conn.execute(sa.text("DELETE FROM comment WHERE author_id >= :w"), w)
        conn.execute(sa.text("DELETE FROM consultation_answer WHERE user_id >= :w"), w)
        conn.execute(sa.text("DELETE FROM consultation_participation WHERE user_id >= :w"), w)
        with contextlib.suppress(sa.exc.DBAPIError):
            with conn.begin_nested():
                conn.execute(sa.text("DELETE FROM notification WHERE recipient_id >= :w"), w)
        ids = {"ids": props}
        in_ids = sa.bindparam("ids", expanding=True)
        conn.execute(sa.text(
            "UPDATE proposal SET support_count = (SELECT count(*) FROM proposal_support s WHERE s.proposal_id = proposal.id), "
            "comment_count = (SELECT count(*) FROM comment c WHERE c.proposal_id = proposal.id AND c.state = 'visible') "
            "WHERE id IN :ids").bindparams(in_ids), ids)
        conn.execute(sa.text("DELETE FROM comment_tally WHERE proposal_id IN :ids").bindparams(in_ids), ids)
        conn.execute(sa.text(
            "INSERT INTO comment_tally (proposal_id, comment_count, in_favour_count, against_count, neutral_count) "
            "SELECT proposal_id, count(*), "
            "sum(CASE WHEN position = 'in_favour' AND depth = 0 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN position = 'against' AND depth = 0 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN position = 'neutral' AND depth = 0 THEN 1 ELSE 0 END) "
            "FROM comment WHERE proposal_id IN :ids AND state = 'visible' GROUP BY proposal_id").bindparams(in_ids), ids)
        conn.execute(sa.text(
            "UPDATE consultation_question SET answer_count = "
            "(SELECT count(*) FROM consultation_answer a WHERE a.question_id = consultation_question.id)"))
        conn.execute(sa.text(
            "UPDATE consultation SET participant_count = "
            "(SELECT count(*) FROM consultation_participation p WHERE p.consultation_id = consultation.id)"))
        from tools.bench.build import recompute_option_votes

        recompute_option_votes(conn)
