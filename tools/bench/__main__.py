"""``python -m tools.bench --size small|medium|large --duration 10 --db postgres|sqlite``.

1. builds (or reuses) the database ``civic_bench_<size>``;
2. serves Civic and the floor app with gunicorn (2 sync workers each, 127.0.0.1, free ports,
   production configuration with a generated SECRET_KEY, http cookies, no rate limits);
3. measures every page with wrk (or the Python generator): maximum throughput, then a paced
   run at half of it for the p99 latency; counts each page's SQL queries in-process;
4. prints the table (ratios to the floor page) and each worker's resident memory, and saves
   the figures as JSON in ``instance/bench/``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
OUT_DIR = ROOT / "instance" / "bench"



def say(*args, **kwargs) -> None:
    """The tool's output (a command-line report)."""
    print(*args, **kwargs)  # noqa: T201

def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="small", help="tiny, small, medium or large (default small)")
    ap.add_argument("--duration", type=float, default=10, help="seconds of load per page (default 10)")
    ap.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    ap.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", DEFAULT_PG),
                    help="PostgreSQL server (the bench creates civic_bench_<size> on it)")
    ap.add_argument("--rebuild", action="store_true", help="build the database again even if it exists")
    ap.add_argument("--build-only", action="store_true", help="build the database and stop")
    ap.add_argument("--connections", type=int, default=4, help="concurrent connections (default 4)")
    ap.add_argument("--no-wrk", action="store_true", help="use the Python load generator even if wrk exists")
    ap.add_argument("--writers", type=int, default=400,
                    help="signed-in people writing (each answers once; default 400)")
    ap.add_argument("--only", default="", help="measure only pages whose name contains this text")
    ap.add_argument("--max-minutes", type=float, default=90, help="hard stop for the whole run")
    return ap.parse_args(argv)


def database_url(args) -> tuple[str, str]:
    """(URL of the bench database, its name)."""
    name = f"civic_bench_{args.size}"
    if args.db == "sqlite":
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{OUT_DIR / (name + '.sqlite3')}", name
    import sqlalchemy as sa

    url = sa.engine.make_url(args.pg_url)
    return url.set(database=name).render_as_string(hide_password=False), name


def prepare_database(args, url: str, name: str, log=None):
    log = log or say
    """Create/migrate/build the database unless it already holds this size. Returns the layout."""
    import sqlalchemy as sa

    from tools.bench.build import read_info

    exists = True
    if args.db == "postgres":
        admin = sa.create_engine(sa.engine.make_url(args.pg_url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is not None
    else:
        exists = Path(url.removeprefix("sqlite:///")).exists()
    if exists and not args.rebuild:
        engine = sa.create_engine(url)
        layout = read_info(engine)
        engine.dispose()
        if layout is not None and layout.size == args.size:
            log(f"Reusing {name} (built in {layout.seconds} s); --rebuild to build it again.")
            migrate(url)  # a database built before the latest migrations gets them
            return layout
    if args.db == "postgres":
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    return build_database(url, args.size, log=log)


def migrate(url: str) -> None:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from civic import create_app
    from civic.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("ANALYZE proposal"))
        db.engine.dispose()


def build_database(url: str, size: str, log=None):
    log = log or say
    """flask db upgrade on an empty database, then the bulk build."""
    from flask_migrate import upgrade

    from civic import create_app
    from civic.accounts.passwords import hash_password
    from civic.extensions import db
    from tools.bench.build import BENCH_PASSWORD, build
    from tools.bench.presets import preset

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    t0 = time.monotonic()
    with app.app_context():
        log("flask db upgrade …")
        upgrade()
        log(f"  migrated in {time.monotonic() - t0:.1f} s; building size {size} …")
        layout = build(db.engine, db.metadata, preset(size), hash_password(BENCH_PASSWORD), log=log)
        db.engine.dispose()
    log(f"Built in {layout.seconds} s: {layout.counts}")
    return layout


def fmt_row(cols, widths):
    return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cols, widths, strict=True)))


def main(argv=None) -> int:
    args = parse_args(argv)
    url, name = database_url(args)
    # The configuration is read at import: set the production environment first.
    secret = secrets.token_urlsafe(48)
    from tools.bench import serve

    os.environ.update({k: v for k, v in serve.production_env(url, secret).items() if k.startswith(("CIVIC_", "SECRET_KEY", "DATABASE_URL"))})

    def _timeout(_sig, _frame):
        raise TimeoutError(f"bench stopped after --max-minutes={args.max_minutes}")

    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(int(args.max_minutes * 60))

    layout = prepare_database(args, url, name)
    if args.build_only:
        return 0
    return run_bench(args, url, secret, layout)


def run_bench(args, url: str, secret: str, layout) -> int:
    from civic import create_app
    from tools.bench import load, pages, serve
    from tools.bench.presets import preset

    p = preset(args.size)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret})
    from civic.extensions import db

    with app.app_context():
        engine = db.engine
    pages.reset_writes(engine, layout.first_writer_id)
    pages.delete_bench_sessions(app)
    use_wrk = load.have_wrk() and not args.no_wrk
    say(f"Load: {'wrk' if use_wrk else 'Python generator'}, {args.connections} connections, {args.duration:g} s per page")

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    env = serve.production_env(url, secret)
    civic_srv = floor_srv = None
    results = []
    try:
        civic_srv = serve.start("civic", "wsgi:app", env, log_dir=OUT_DIR)
        floor_srv = serve.start("floor", "tools.bench.floor:create_app()", env, log_dir=OUT_DIR, ready_path="/hello")
        reader_cookie = pages.create_sessions(app, [layout.reader_id])[layout.reader_id]
        writer_ids = list(range(layout.first_writer_id, layout.first_writer_id + min(args.writers, layout.writer_count)))
        with app.app_context():
            published = db.session.execute(
                db.text("SELECT published_count FROM proposal_settings WHERE consultation_id = :c"),
                {"c": layout.main_consultation_id},
            ).scalar_one()
        deep = max(1, int(published / app.config["PAGE_SIZE"] * 0.9))
        todo = [
            ("floor: 20 rows", floor_srv, pages.Page("floor", [load.Req("GET", "/rows")])),
            ("floor: hello", floor_srv, pages.Page("hello", [load.Req("GET", "/hello")])),
        ]
        todo += [(pg.name, civic_srv, pg) for pg in pages.read_pages(layout, deep, reader_cookie)]
        want_writes = not args.only or "write" in args.only
        if want_writes:
            say(f"Signing in {len(writer_ids)} writers and reading their CSRF tokens …")
            cookies = pages.create_sessions(app, writer_ids)
            writers = pages.fetch_csrf(civic_srv.base, cookies)
            per_kind = int(max(2000, 800 * (args.duration * 1.6 + 2)))
            todo += [(pg.name, civic_srv, pg) for pg in pages.write_pages(layout, writers, p.proposals // 2, per_kind, seed=int(time.time()))]
        if args.only:
            todo = [t for t in todo if args.only in t[0] or t[0].startswith("floor: 20")]
        before = pages.count_writes(engine, layout.first_writer_id)
        floor_req = [load.Req("GET", "/rows")]
        for label, srv, page in todo:
            if srv is floor_srv:
                status, queries, cpu_ms = 200, 1, floor_cpu_ms(url, page.reqs[0].path)
            elif page.write:
                status, queries, cpu_ms = 0, None, None
            else:
                status, queries, cpu_ms = pages.count_queries(app, page)
            reqs = page.reqs
            # The floor again right before each page: on a shared machine the background load
            # drifts, so each page is compared with the floor measured next to it.
            near = None
            if srv is not floor_srv:
                near = load.run(floor_srv.base, floor_req, max(2.0, args.duration / 2), args.connections, use_wrk)
            margin = args.connections  # requests wrk had in flight when a run stopped
            offset = 0
            warm = load.run(srv.base, reqs, 1, args.connections, use_wrk)
            offset += warm.requests + margin if page.write else 0
            peak = load.run(srv.base, reqs[offset:] if page.write else reqs, args.duration, args.connections, use_wrk)
            offset += peak.requests + margin if page.write else 0
            rate = max(1.0, peak.rps / 2)
            paced = None
            if label != "floor: hello":  # the Python pacer cannot send half of that rate
                paced = load.run_python(srv.base, reqs[offset:] if page.write else reqs, max(3.0, args.duration / 2),
                                        connections=max(args.connections, 4), rate=rate)
            used = offset + (paced.requests if paced else 0)
            row = {
                "page": label, "rps": round(peak.rps, 1), "p50_ms": round(peak.p50_ms, 1), "p99_ms": round(peak.p99_ms, 1),
                "errors": peak.errors + warm.errors + (paced.errors if paced else 0), "half_rate": round(rate, 1),
                "half_p99_ms": round(paced.p99_ms, 1) if paced else None, "queries": queries, "status": status,
                "tool": peak.tool, "distinct_requests": len(reqs), "requests_sent": used, "cpu_ms": cpu_ms,
                "floor_rps_next_to_it": round(near.rps, 1) if near else round(peak.rps, 1),
            }
            if page.write and used > len(reqs):
                row["note"] = f"only {len(reqs)} distinct requests for {used} sent: some repeated"
            results.append(row)
            say(f"  {label:<32} {row['rps']:>8} req/s  p50 {row['p50_ms']:>6} ms  p99 {row['p99_ms']:>6} ms  "
                  f"@{row['half_rate']}/s p99 {row['half_p99_ms']} ms  errors {row['errors']}  queries {queries}  "
                  f"(floor next to it {row['floor_rps_next_to_it']} req/s)", flush=True)
        after = pages.count_writes(engine, layout.first_writer_id)
        rss = {"civic": civic_srv.rss_mb(), "floor": floor_srv.rss_mb()}
    finally:
        for srv in (civic_srv, floor_srv):
            if srv is not None:
                srv.stop()
        pages.delete_bench_sessions(app)
        pages.reset_writes(engine, layout.first_writer_id)
        engine.dispose()

    floor = next(r["rps"] for r in results if r["page"] == "floor: 20 rows")
    for r in results:
        r["ratio_to_first_floor"] = round(r["rps"] / floor, 2) if floor else None
        near = r["floor_rps_next_to_it"]
        r["ratio"] = round(r["rps"] / near, 2) if near else None
    report = {
        "size": args.size, "db": args.db, "duration": args.duration, "connections": args.connections,
        "tool": "wrk" if use_wrk else "python", "machine": machine(url), "layout": layout.__dict__,
        "results": results, "rss_mb": {k: {str(pid): round(v, 1) for pid, v in d.items()} for k, d in rss.items()},
        "writes_landed": {k: after[k] - before[k] for k in after},
        "load_average": {"before": [round(x, 1) for x in load_before], "after": [round(x, 1) for x in os.getloadavg()]},
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    report["targets"] = check_targets(report)
    print_report(report)
    out = OUT_DIR / f"results-{args.size}-{args.db}.json"
    out.write_text(json.dumps(report, indent=2))
    say(f"\nSaved {out}")
    return 1 if any(r["errors"] for r in results) else 0


def floor_cpu_ms(url: str, path: str, repeat: int = 20) -> float:
    from tools.bench.floor import create_app as floor_app

    client = floor_app(url).test_client()
    client.get(path)
    started = time.process_time()
    for _ in range(repeat):
        client.get(path)
    return round((time.process_time() - started) / repeat * 1000, 1)


def check_targets(report: dict) -> list[dict]:
    """The issue's targets, page by page: met or not (large against small when both exist)."""
    out = []
    small_path = OUT_DIR / f"results-small-{report['db']}.json"
    small = json.loads(small_path.read_text()) if report["size"] != "small" and small_path.exists() else None
    small_rps = {r["page"]: r for r in small["results"]} if small else {}
    for r in report["results"]:
        if r["page"].startswith("floor"):
            continue
        checks = {}
        if not r["page"].startswith("write"):
            need = 0.4 if r["page"].startswith("signed in") else 0.5
            checks[f"ratio >= {need}"] = r["ratio"] is not None and r["ratio"] >= need
        if r["half_p99_ms"] is not None:
            checks["p99 at half rate < 100 ms"] = r["half_p99_ms"] < 100
        checks["no errors"] = r["errors"] == 0
        base = small_rps.get(r["page"])
        if base is None and r["page"].startswith("proposal listing p"):  # the deep page's number differs
            base = next((v for k, v in small_rps.items() if k.startswith("proposal listing p") and k != "proposal listing p1"), None)
        if base and base.get("ratio"):
            checks["ratio >= 0.8 x small's"] = r["ratio"] >= 0.8 * base["ratio"]
        out.append({"page": r["page"], "checks": checks})
    rss = [v for v in report["rss_mb"]["civic"].values()]
    out.append({"page": "civic workers", "checks": {"RSS < 150 MB": bool(rss) and max(rss) < 150}})
    return out


def machine(url: str) -> dict:
    info = {"cores": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except OSError:
        pass
    if url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            info["postgresql"] = conn.execute(sa.text("SHOW server_version")).scalar_one()
        engine.dispose()
    return info


def print_report(report: dict) -> None:
    widths = (32, 8, 8, 6, 7, 7, 9, 10, 6, 7, 7)
    say(f"\nCivic bench: size {report['size']}, {report['db']}, {report['tool']}, "
          f"{report['connections']} connections, {report['duration']:g} s per page, machine {report['machine']}")
    say("ratio: req/s divided by the floor page's (20 rows) req/s measured right before it")
    say("CPU ms: Python CPU time of one request made in-process (no server, no network)")
    say(fmt_row(("page", "req/s", "floor", "ratio", "p50 ms", "p99 ms", "half r/s", "half p99", "errors", "queries", "CPU ms"), widths))
    for r in report["results"]:
        say(fmt_row((r["page"], r["rps"], r["floor_rps_next_to_it"], r["ratio"], r["p50_ms"], r["p99_ms"], r["half_rate"],
                     "" if r["half_p99_ms"] is None else r["half_p99_ms"], r["errors"],
                     "" if r["queries"] is None else r["queries"], "" if r.get("cpu_ms") is None else r["cpu_ms"]), widths))
    say(f"Load average (1, 5, 15 min) before: {report['load_average']['before']}, after: {report['load_average']['after']} "
        f"(on {report['machine']['cores']} cores; other work on the machine lowers every figure)")
    for name, d in report["rss_mb"].items():
        say(f"RSS of {name} workers after the run (MB): " + ", ".join(f"{pid}: {v}" for pid, v in d.items()))
    failed = [(t["page"], name) for t in report.get("targets", []) for name, ok in t["checks"].items() if not ok]
    met = sum(ok for t in report.get("targets", []) for ok in t["checks"].values())
    say(f"Targets: {met} met, {len(failed)} not met" + ("".join(f"\n  NOT MET  {p}: {n}" for p, n in failed)))
    say("Writes landed in the database: " + ", ".join(f"{k} +{v}" for k, v in report["writes_landed"].items()))


if __name__ == "__main__":
    sys.exit(main())
