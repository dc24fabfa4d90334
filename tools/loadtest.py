"""Load and faults: readers and writers against Civic under gunicorn on PostgreSQL.

    .venv/bin/python -m tools.loadtest --duration 60 --restart-postgres --kill-worker

Runs for a fixed time on 127.0.0.1 and stops by itself. Readers browse (home, listings,
proposal and consultation pages, the calendar); writers comment (JSON: the answer carries the
new comment's id) and support proposals (the confirmation: the page the redirect leads to
offers to take the support back). Every write acknowledged to a client is recorded; afterwards the script
checks that each one is in the database. Optionally, during the run, it restarts the
PostgreSQL server (``pg_ctlcluster --skip-systemctl-redirect VERSION CLUSTER restart``) and
kills one gunicorn worker with SIGKILL; the app must recover by itself (``pool_pre_ping``).

The database is the benchmark's (``civic_bench_<size>``, built by ``tools.bench`` when
missing); what the writers wrote is removed at the end. Exit status 1 when an acknowledged
write is missing or the app did not recover.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tools.bench.load import USER_AGENT, _percentile


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: list[tuple[float, float, str, int]] = field(default_factory=list)  # (t, ms, kind, status)
    comments: list[int] = field(default_factory=list)
    supports: list[tuple[int, int]] = field(default_factory=list)

    def add(self, t: float, ms: float, kind: str, status: int) -> None:
        with self.lock:
            self.samples.append((t, ms, kind, status))


class Browser:
    """One person's keep-alive connection and session cookie."""

    timeout = 30.0

    def __init__(self, port: int, cookie: str | None = None):
        self.port = port
        self.cookie = cookie
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=self.timeout)

    def request(self, method: str, path: str, body: dict | None = None, accept: str | None = None):
        headers = {"User-Agent": USER_AGENT}
        if self.cookie:
            headers["Cookie"] = f"civic_session={self.cookie}"
        data = None
        if body is not None:
            data = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if accept:
            headers["Accept"] = accept
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            payload = resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        jar = SimpleCookie()
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar.load(header)
        if "civic_session" in jar:
            self.cookie = jar["civic_session"].value
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return resp.status, payload, resp



def say(*args, **kwargs) -> None:
    """The tool's output (a command-line report)."""
    print(*args, **kwargs)  # noqa: T201

def _csrf(html: bytes) -> str | None:
    match = re.search(rb'name="csrf_token" value="([^"]+)"', html)
    return match.group(1).decode() if match else None


def reader(port: int, stop: float, stats: Stats, paths: list[str], rng: random.Random, t0: float) -> None:
    b = Browser(port)
    while time.monotonic() < stop:
        path = rng.choice(paths)
        start = time.monotonic()
        try:
            status, _body, _r = b.request("GET", path)
        except (OSError, http.client.HTTPException):
            status = 0
        stats.add(start - t0, (time.monotonic() - start) * 1000, "read", status)


def writer(port: int, stop: float, stats: Stats, cookie: str, user_id: int, proposal_ids: list[int],
           rng: random.Random, t0: float) -> None:
    b = Browser(port, cookie)
    token = None
    supported: set[int] = set()
    n = 0
    while time.monotonic() < stop:
        start = time.monotonic()
        kind = "comment" if n % 2 == 0 else "support"
        n += 1
        try:
            if token is None:
                status, html, _r = b.request("GET", "/")
                token = _csrf(html) if status == 200 else None
                stats.add(start - t0, (time.monotonic() - start) * 1000, "read", status)
                if token is None:
                    time.sleep(0.2)
                continue
            pid = rng.choice(proposal_ids)
            if kind == "comment":
                status, body, _r = b.request(
                    "POST", f"/discussions/proposals/{pid}/comments",
                    {"csrf_token": token, "body": f"Load test comment {n} by {user_id}.", "language": "en"},
                    accept="application/json",
                )
                if status == 201:
                    with stats.lock:
                        stats.comments.append(int(json.loads(body)["id"]))
            else:
                if pid in supported:
                    continue
                status, _body, resp = b.request("POST", f"/proposals/{pid}/support", {"csrf_token": token})
                if status == 302:
                    # the confirmation: the page the redirect leads to offers to take the support back
                    location = resp.getheader("Location", "")
                    path = location.split("://", 1)[-1].partition("/")[2]
                    st2, page, _r2 = b.request("GET", "/" + path.split("#")[0])
                    if st2 == 200 and f'action="/proposals/{pid}/unsupport"'.encode() in page:
                        supported.add(pid)
                        with stats.lock:
                            stats.supports.append((user_id, pid))
            stats.add(start - t0, (time.monotonic() - start) * 1000, kind, status)
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            stats.add(start - t0, (time.monotonic() - start) * 1000, kind, 0)
            time.sleep(0.05)


def pg_cluster() -> tuple[str, str]:
    out = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout  # noqa: S607
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[2] == "5432":
            return parts[0], parts[1]
    parts = out.split()
    return parts[0], parts[1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.loadtest", description=__doc__.split("\n\n")[0])
    ap.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    ap.add_argument("--readers", type=int, default=6)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--size", default="small", help="bench database size (default small)")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    ap.add_argument("--restart-postgres", action="store_true", help="restart the PostgreSQL server at 30%% of the run")
    ap.add_argument("--pg-cluster", default="", help='"VERSION NAME" of the cluster to restart (default: the one on the URL\'s port)')
    ap.add_argument("--kill-worker", action="store_true", help="SIGKILL one gunicorn worker at 60%% of the run")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    ap.add_argument("--timeout", type=float, default=30, help="client timeout per request, seconds (default 30)")
    args = ap.parse_args(argv)
    Browser.timeout = args.timeout

    from tools.bench import __main__ as bench
    from tools.bench import pages, serve

    bench_args = bench.parse_args(["--size", args.size, "--pg-url", args.pg_url])
    url, name = bench.database_url(bench_args)
    secret = secrets.token_urlsafe(48)
    os.environ.update({k: v for k, v in serve.production_env(url, secret).items()
                       if k.startswith(("CIVIC_", "SECRET_KEY", "DATABASE_URL"))})
    signal.signal(signal.SIGALRM, lambda *_: (_ for _ in ()).throw(TimeoutError("load test over time")))
    signal.alarm(int(args.duration + 1800))
    layout = bench.prepare_database(bench_args, url, name)

    from civic import create_app
    from civic.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret})
    with app.app_context():
        engine = db.engine
        say(f"pool_pre_ping: {engine.pool._pre_ping}")
    pages.reset_writes(engine, layout.first_writer_id)
    rng = random.Random(4)  # noqa: S311
    n_props = layout.counts["proposals"]
    main_props = [p for p in range(2, n_props // 2) if p % 20][:5000]
    paths = ["/", "/consultations/", f"/consultations/{layout.main_consultation_id}",
             f"/consultations/{layout.main_consultation_id}/proposals", "/meetings/"]
    paths += [f"/proposals/{rng.choice(main_props)}" for _ in range(20)]

    env = serve.production_env(url, secret)
    srv = serve.start("loadtest", "wsgi:app", env, workers=args.workers, log_dir=bench.OUT_DIR)
    stats = Stats()
    events: list[tuple[float, str]] = []
    writer_ids = list(range(layout.first_writer_id, layout.first_writer_id + args.writers))
    cookies = pages.create_sessions(app, writer_ids, hours=2)
    t0 = time.monotonic()
    stop = t0 + args.duration
    threads = [threading.Thread(target=reader, args=(srv.port, stop, stats, paths, random.Random(i), t0), daemon=True)  # noqa: S311
               for i in range(args.readers)]
    threads += [threading.Thread(target=writer, args=(srv.port, stop, stats, cookies[uid], uid, main_props,
                                                      random.Random(100 + uid), t0), daemon=True)  # noqa: S311
                for uid in writer_ids]
    for th in threads:
        th.start()
    exit_code = 0
    try:
        if args.restart_postgres:
            time.sleep(max(0.0, t0 + args.duration * 0.3 - time.monotonic()))
            version, cluster = args.pg_cluster.split() if args.pg_cluster else pg_cluster()
            events.append((time.monotonic() - t0, f"restart PostgreSQL {version}/{cluster}"))
            subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart"],  # noqa: S603,S607
                           check=True, timeout=120)
            events.append((time.monotonic() - t0, "PostgreSQL back"))
        if args.kill_worker:
            time.sleep(max(0.0, t0 + args.duration * 0.6 - time.monotonic()))
            victim = srv.worker_pids()[0]
            events.append((time.monotonic() - t0, f"SIGKILL gunicorn worker {victim}"))
            os.kill(victim, signal.SIGKILL)
        for th in threads:
            th.join(max(1.0, stop - time.monotonic() + 30))
        rss = srv.rss_mb()
    finally:
        srv.stop()

    # ---- every acknowledged write must be in the database
    with engine.connect() as conn:
        found_comments = set()
        for i in range(0, len(stats.comments), 1000):
            chunk = stats.comments[i:i + 1000]
            found_comments |= set(conn.execute(db.text("SELECT id FROM comment WHERE id IN :ids").bindparams(
                db.bindparam("ids", expanding=True)), {"ids": chunk}).scalars())
        found_supports = set()
        if stats.supports:
            rows = conn.execute(db.text("SELECT user_id, proposal_id FROM proposal_support WHERE user_id IN :u").bindparams(
                db.bindparam("u", expanding=True)), {"u": writer_ids}).all()
            found_supports = {(r[0], r[1]) for r in rows}
    missing_comments = [c for c in stats.comments if c not in found_comments]
    missing_supports = [s for s in stats.supports if s not in found_supports]

    samples = stats.samples
    ok = [s for s in samples if 200 <= s[3] < 400]
    errors = [s for s in samples if not 200 <= s[3] < 400]
    last_error = max((s[0] for s in errors), default=None)
    say(f"\nLoad test: {args.duration:g} s, {args.readers} readers, {args.writers} writers, {args.workers} gunicorn workers")
    for t, what in events:
        say(f"  t={t:6.1f} s  {what}")
    lat = [s[1] for s in ok]
    say(f"requests {len(samples)}  ok {len(ok)}  errors {len(errors)}  throughput {len(ok) / args.duration:.1f} req/s")
    say(f"latency of successful requests: p50 {_percentile(lat, .5):.1f} ms  p90 {_percentile(lat, .9):.1f} ms  "
          f"p99 {_percentile(lat, .99):.1f} ms  max {max(lat, default=0):.1f} ms")
    by_kind: dict[str, list] = {}
    for s in samples:
        by_kind.setdefault(s[2], []).append(s)
    for kind, rows in sorted(by_kind.items()):
        errs = sum(1 for s in rows if not 200 <= s[3] < 400)
        say(f"  {kind:<8} {len(rows):>6} requests, {errs} errors, p99 {_percentile([s[1] for s in rows if 200 <= s[3] < 400], .99):.1f} ms")
    if errors:
        statuses: dict[int, int] = {}
        for s in errors:
            statuses[s[3]] = statuses.get(s[3], 0) + 1
        say(f"errors by status (0 = connection): {statuses}; first at t={min(s[0] for s in errors):.1f} s, last at t={last_error:.1f} s")
    tail = [s for s in samples if s[0] > args.duration * 0.9]
    tail_errors = sum(1 for s in tail if not 200 <= s[3] < 400)
    recovered = bool(tail) and tail_errors == 0
    say(f"acknowledged writes: {len(stats.comments)} comments, {len(stats.supports)} supports; "
          f"missing from the database: {len(missing_comments)} comments, {len(missing_supports)} supports")
    say(f"recovered by itself (no error in the last 10 % of the run): {'yes' if recovered else 'NO'}")
    say("RSS of workers at the end (MB): " + ", ".join(f"{pid}: {v:.1f}" for pid, v in rss.items()))
    if missing_comments or missing_supports or not recovered:
        exit_code = 1
    with contextlib.suppress(Exception):
        pages.delete_bench_sessions(app)
        pages.reset_writes(engine, layout.first_writer_id)
    engine.dispose()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
