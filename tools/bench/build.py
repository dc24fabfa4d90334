"""Build a benchmark database fast: explicit ids, bulk inserts, counters recomputed in SQL.

On PostgreSQL rows go in with ``COPY … FROM STDIN`` (psycopg ``cursor.copy``); elsewhere with
Core ``insert()`` and lists of dicts in big batches. Stored counters (support and comment
counts, tallies, budgets, answer and participant counts, published counts) are computed from
the rows with SQL afterwards, so they are exact by construction. ``ANALYZE`` runs at the end.

Every bench person has the same password hash (computed once).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum

import sqlalchemy as sa

from tools.bench.presets import Preset

BENCH_PASSWORD = "civic-bench-password"  # noqa: S105 - documented bench password
BENCH_DOMAIN = "bench.civic.example"
INFO_TABLE = "civic_bench_info"
BATCH = 20_000

LOCALES = ("en", "fr", "es")
WORDS = {
    "en": "bench street park school library bike lane tree square market bus stop light water "
          "garden playground safety crossing noise parking river bridge housing youth sport "
          "culture music shade fountain path recycling compost solar night".split(),
    "fr": "banc rue parc école bibliothèque vélo piste arbre place marché arrêt lumière eau "
          "jardin aire sécurité passage bruit stationnement rivière pont logement jeunesse "
          "sport culture musique ombre fontaine chemin recyclage compost solaire nuit".split(),
    "es": "banco calle parque escuela biblioteca bici carril árbol plaza mercado parada luz "
          "agua jardín juegos seguridad cruce ruido aparcamiento río puente vivienda juventud "
          "deporte cultura música sombra fuente camino reciclaje compost solar noche".split(),
}


@dataclass
class Layout:
    """Ids the benchmark needs to find its pages (also stored in ``civic_bench_info``)."""

    size: str
    main_consultation_id: int = 1
    hot_proposal_id: int = 1
    hot_section_id: int = 1
    first_writer_id: int = 0
    writer_count: int = 0
    reader_id: int = 0
    question_ids: list[int] = field(default_factory=list)
    option_ids: dict[str, list[int]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


# ---- writing rows -----------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _defaults(table: sa.Table, keys: set[str]) -> dict[str, object]:
    """Python-side scalar defaults of the columns a row leaves out (computed once per batch)."""
    out = {}
    for col in table.columns:
        if col.name in keys or col.default is None:
            continue
        if col.default.is_scalar:
            out[col.name] = col.default.arg
        elif col.default.is_callable:
            out[col.name] = col.default.arg(None)
    return out


def _chunks(rows: Iterable[dict], size: int) -> Iterator[list[dict]]:
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Iterable[dict]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table``; returns how many."""
    n = 0
    for chunk in _chunks(rows, BATCH):
        keys = list(chunk[0])
        extra = _defaults(table, set(keys))
        if conn.dialect.name == "postgresql":
            columns = keys + list(extra)
            cols = ", ".join(f'"{c}"' for c in columns)
            raw = conn.connection.driver_connection
            with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
                tail = [_plain(v) for v in extra.values()]
                for row in chunk:
                    copy.write_row([_plain(row[k]) for k in keys] + tail)
        else:
            if extra:
                chunk = [{**extra, **row} for row in chunk]
            conn.execute(table.insert(), chunk)
        n += len(chunk)
    return n


# ---- content --------------------------------------------------------------------------------


SYLLABLES = "ba ko ri mel san tor vi lu den ca mo fer".split()
#: Rare place names, one in each proposal's title: what people search for (0.5 % of proposals each).
LANDMARKS = [(a + b + c).capitalize() for a in SYLLABLES[:6] for b in SYLLABLES[6:] for c in ("ra", "lia", "nes", "do", "mont", "ville")][:200]


class Text:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self._pool: dict[tuple[str, int], list[str]] = {}

    def pooled(self, locale: str, sentences: int) -> str:
        """A body drawn from a pool of 2,000 per language and length (fast for big tables)."""
        key = (locale, sentences)
        if key not in self._pool:
            self._pool[key] = [self.body(locale, sentences) for _ in range(2000)]
        return self.rng.choice(self._pool[key])

    def words(self, locale: str, n: int) -> str:
        return " ".join(self.rng.choice(WORDS[locale]) for _ in range(n))

    def title(self, locale: str) -> str:
        return self.words(locale, self.rng.randint(4, 8)).capitalize()[:150]

    def body(self, locale: str, sentences: int = 3) -> str:
        return " ".join(self.words(locale, self.rng.randint(8, 16)).capitalize() + "." for _ in range(sentences))


def build(engine: sa.Engine, metadata: sa.MetaData, p: Preset, password_hash: str, seed: int = 7,
          log=print) -> Layout:
    """Fill an empty, migrated database (``engine``) at preset ``p``. Returns the layout."""
    started = time.monotonic()
    rng = random.Random(seed)  # noqa: S311 - reproducible bench content
    text = Text(rng)
    t = metadata.tables
    now = datetime.now(UTC).replace(microsecond=0)
    layout = Layout(size=p.name)
    counts: dict[str, int] = {}

    def step(name: str, table: str, rows: Iterable[dict], conn: sa.Connection) -> None:
        t0 = time.monotonic()
        counts[name] = counts.get(name, 0) + insert_rows(conn, t[table], rows)
        log(f"  {name:<24} {counts[name]:>10,} rows  {time.monotonic() - t0:6.1f} s")

    with engine.begin() as conn:
        heavy = ("user", "proposal", "proposal_support", "comment", "consultation_answer")
        dropped = _drop_secondary_indexes(conn, heavy)
        # ---- departments, topics, areas
        step("departments", "department", (
            {"id": i, "slug": f"bench-dept-{i}", "name_translations": {"en": f"Department {i}", "fr": f"Service {i}"},
             "default_locale": "en", "email": f"dept{i}@{BENCH_DOMAIN}", "created_at": now, "updated_at": now}
            for i in range(1, 6)), conn)
        step("topics", "consultation_topic", (
            {"id": i, "slug": f"topic-{i}", "name_translations": {"en": f"Topic {i}", "fr": f"Thème {i}"}}
            for i in range(1, 9)), conn)
        step("areas", "consultation_area", (
            {"id": i, "slug": f"area-{i}", "name_translations": {"en": f"District {i}", "fr": f"Quartier {i}"}}
            for i in range(1, 7)), conn)

        # ---- people: residents first, then writers (no supports, no answers), then one reader
        def people():
            for uid in range(1, p.people + 1):
                loc = LOCALES[uid % 3]
                yield {
                    "id": uid, "email": f"person{uid}@{BENCH_DOMAIN}", "display_name": f"Bench Person {uid}",
                    "password_hash": password_hash, "locale": loc, "timezone": "Europe/Paris",
                    "role": "resident", "status": "active", "email_confirmed_at": now,
                    "verified_at": now, "security_stamp": 0, "created_at": now, "updated_at": now,
                }
        step("people", "user", people(), conn)
        layout.first_writer_id = p.residents + 1
        layout.writer_count = p.writers
        layout.reader_id = 1

        # ---- consultations: the first is the main one (half of the proposals)
        C = p.consultations
        cons_rows, tr_rows, sec_rows, q_rows, opt_rows, set_rows, disc_rows = [], [], [], [], [], [], []
        sec_id = q_id = opt_id = tr_id = 0
        sections_of: dict[int, list[int]] = {}
        questions_of: dict[int, list[tuple[int, list[int]]]] = {}
        for cid in range(1, C + 1):
            closed = cid % 7 == 0
            opens = now - timedelta(days=120 + cid)
            closes = now - timedelta(days=3) if closed else now + timedelta(days=30 + cid)
            cons_rows.append({
                "id": cid, "department_id": 1 + cid % 5, "area_id": 1 + cid % 6, "default_locale": "en",
                "state": "closed" if closed else "open", "opens_at": opens, "closes_at": closes,
                "timezone": "Europe/Paris", "results_visibility": "live", "verified_only": False,
                "response_weeks": 12, "report_due_at": closes + timedelta(weeks=12),
                "participant_count": 0, "last_section_number": 5, "created_at": opens, "updated_at": opens,
            })
            for loc in LOCALES:
                tr_id += 1
                tr_rows.append({"id": tr_id, "consultation_id": cid, "locale": loc, "title": text.title(loc)[:200],
                                "summary": text.body(loc, 2), "body": "<p>" + text.body(loc, 6) + "</p>",
                                "easy_read": "", "report": "", "created_at": opens, "updated_at": opens})
            sections_of[cid] = []
            for n in range(1, 6):
                sec_id += 1
                sections_of[cid].append(sec_id)
                sec_rows.append({"id": sec_id, "consultation_id": cid, "position": n, "number": n,
                                 "translations": {loc: {"title": text.title(loc), "body": "<p>" + text.body(loc, 4) + "</p>"}
                                                  for loc in LOCALES},
                                 "comment_count": 0})
            questions_of[cid] = []
            for pos, kind in enumerate(("single", "scale"), start=1):
                q_id += 1
                q_rows.append({"id": q_id, "consultation_id": cid, "position": pos, "kind": kind,
                               "prompt_translations": {loc: text.title(loc) + " ?" for loc in LOCALES},
                               "hint_translations": {}, "answer_count": 0})
                opts = []
                for o in range(1, (4 if kind == "single" else 6)):
                    opt_id += 1
                    opts.append(opt_id)
                    opt_rows.append({"id": opt_id, "question_id": q_id, "position": o,
                                     "label_translations": {loc: text.words(loc, 3) for loc in LOCALES} if kind == "single" else {},
                                     "value": o if kind == "scale" else None, "vote_count": 0, "rank_sum": 0, "first_count": 0})
                questions_of[cid].append((q_id, opts))
            set_rows.append({"consultation_id": cid, "accepts_proposals": True, "verified_only": False,
                             "max_supports": None, "support_threshold": 500, "published_count": 0, "updated_at": now})
            disc_rows.append({"consultation_id": cid, "keep_open_after_close": False, "updated_at": now})
        step("consultations", "consultation", cons_rows, conn)
        step("consultation texts", "consultation_translation", tr_rows, conn)
        step("sections", "consultation_section", sec_rows, conn)
        step("questions", "consultation_question", q_rows, conn)
        step("options", "consultation_question_option", opt_rows, conn)
        step("proposal settings", "proposal_settings", set_rows, conn)
        if "discussion_settings" in t:
            step("discussion settings", "discussion_settings", disc_rows, conn)
        layout.hot_section_id = sections_of[1][0]
        layout.question_ids = [q for q, _o in questions_of[1]]
        layout.option_ids = {str(q): opts for q, opts in questions_of[1]}

        # ---- proposals: half in the main consultation
        N = p.proposals
        main_n = N // 2
        prop_consultation = [1] * main_n + [2 + (i % (C - 1)) for i in range(N - main_n)]
        prop_published = [now - timedelta(minutes=rng.randint(10, 180 * 24 * 60)) for _ in range(N)]

        def proposals():
            for i in range(N):
                pid = i + 1
                loc = LOCALES[pid % 3]
                state = "under_evaluation" if pid % 20 == 0 else "published"
                yield {
                    "id": pid, "consultation_id": prop_consultation[i], "author_id": 1 + (pid * 7919) % p.residents,
                    "state": state, "title": (text.title(loc) + " " + LANDMARKS[pid % len(LANDMARKS)])[:150],
                    "body": text.pooled(loc, 4),
                    "topic_id": 1 + pid % 8, "area_id": 1 + pid % 6, "place": "", "language": loc,
                    "support_count": 0, "comment_count": 0, "shuffle_key": rng.randrange(2_147_483_647),
                    "created_at": prop_published[i],
                    "updated_at": prop_published[i], "published_at": prop_published[i],
                    "state_changed_at": None, "moderation_state": "visible",
                }
        step("proposals", "proposal", proposals(), conn)
        layout.hot_proposal_id = 1

        # ---- supports: unique (proposal, person) pairs, skewed towards some proposals
        per_person = max(1, p.supports // p.residents)
        weights = [1.0 / (1 + (i % 1000)) ** 0.6 for i in range(N)]
        cum: list[float] = []
        acc = 0.0
        for w in weights:
            acc += w
            cum.append(acc)

        def supports():
            sid = 0
            for uid in range(1, p.residents + 1):
                chosen: set[int] = set()
                picks = rng.choices(range(1, N + 1), cum_weights=cum, k=per_person)
                for pid in picks:
                    if pid in chosen:
                        continue
                    chosen.add(pid)
                    sid += 1
                    if sid > p.supports:
                        return
                    yield {"id": sid, "proposal_id": pid, "user_id": uid, "created_at": now}
        step("supports", "proposal_support", supports(), conn)

        # ---- comments: 100 on the hot proposal, 150 on the hot section, some on consultations,
        #      the rest on proposals; about one in four is a reply.
        M = p.comments
        state = {"id": 0}
        positions = ("in_favour", "against", "neutral", None)

        def comment(author: int, target: dict, parent: dict | None, created: datetime) -> dict:
            state["id"] += 1
            row = {
                "id": state["id"], "consultation_id": None, "section_id": None, "proposal_id": None,
                "meeting_id": None, "parent_id": None, "root_id": None, "reply_to_id": None, "depth": 0,
                "author_id": author, "body": text.pooled(LOCALES[author % 3], rng.randint(1, 3)),
                "language": LOCALES[author % 3], "position": None, "state": "visible",
                "up_count": 0, "down_count": 0, "score": 0, "created_at": created,
            }
            row.update(target)
            if parent is None:
                if "section_id" not in target or target.get("section_id") is None:
                    row["position"] = rng.choice(positions)
            else:
                row["parent_id"] = parent["id"]
                row["root_id"] = parent["root_id"] or parent["id"]
                row["depth"] = parent["depth"] + 1
                row["position"] = None
            return row

        def thread_for(target: dict, count: int, start: datetime) -> Iterator[dict]:
            made: list[dict] = []
            for k in range(count):
                created = start + timedelta(minutes=k)
                parent = None
                if made and rng.random() < 0.25:
                    parent = rng.choice(made[-10:])
                    if parent["depth"] >= 3:
                        parent = None
                row = comment(1 + rng.randrange(p.residents), target, parent, created)
                made.append(row)
                yield row

        def comments():
            start = now - timedelta(days=60)
            yield from thread_for({"proposal_id": layout.hot_proposal_id}, min(100, M), start)
            left = M - min(100, M)
            sec = min(150, left)
            yield from thread_for({"consultation_id": 1, "section_id": layout.hot_section_id}, sec, start)
            left -= sec
            on_cons = min(left, 40 * C)
            for cid in range(1, C + 1):
                yield from thread_for({"consultation_id": cid}, on_cons // C, start)
            left -= (on_cons // C) * C
            # the rest: threads of 1 to 9 comments on proposals other than the hot one
            while left > 0 and N > 1:
                pid = rng.randint(2, N)
                n = min(left, rng.randint(1, 9))
                left -= n
                yield from thread_for({"proposal_id": pid}, n, start + timedelta(minutes=rng.randint(0, 50_000)))
        step("comments", "comment", comments(), conn)

        # ---- answers to the questions: 40 % of the residents in the main consultation,
        #      a hundred people in each other one
        def answers():
            aid = 0
            for cid in range(1, C + 1):
                people_n = int(p.residents * 0.4) if cid == 1 else min(100, p.residents)
                for uid in range(1, people_n + 1):
                    for q, opts in questions_of[cid]:
                        aid += 1
                        yield {"id": aid, "question_id": q, "consultation_id": cid, "user_id": uid,
                               "option_ids": [rng.choice(opts)], "text": None, "created_at": now, "updated_at": now}
        step("answers", "consultation_answer", answers(), conn)

        # ---- meetings: past and upcoming, a few per week
        meet_rows, mtr_rows = [], []
        for mid in range(1, p.meetings + 1):
            starts = now + timedelta(days=(mid - p.meetings // 3) * 2, hours=18 - now.hour)
            meet_rows.append({
                "id": mid, "department_id": 1 + mid % 5, "consultation_id": 1 + mid % C, "default_locale": "en",
                "type": ("online", "in_person", "hybrid")[mid % 3], "state": "scheduled",
                "starts_at": starts, "ends_at": starts + timedelta(hours=2), "timezone": "Europe/Paris",
                "address": "1 Town Hall Square" if mid % 3 else "",
                "join_url": "https://meet.example.org/room" if mid % 3 != 1 else None,
                "registration": "off", "registered_count": 0, "waiting_count": 0, "checked_in_count": 0,
                "sequence": 0, "moderation_state": "visible", "created_at": now, "updated_at": now,
            })
            mtr_rows.append({"meeting_id": mid, "locale": "en", "title": text.title("en")[:200],
                             "description": text.body("en", 3), "access_notes": "", "minutes": "",
                             "created_at": now, "updated_at": now})
        step("meetings", "meeting", meet_rows, conn)
        step("meeting texts", "meeting_translation", mtr_rows, conn)

        if dropped:
            t0 = time.monotonic()
            for ddl in dropped:
                conn.exec_driver_sql(ddl)
            log(f"  {len(dropped)} indexes rebuilt in {time.monotonic() - t0:.1f} s")
        t0 = time.monotonic()
        recompute_counters(conn)
        log(f"  counters recomputed in {time.monotonic() - t0:.1f} s")
        set_sequences(conn, metadata)
        layout.counts = counts
        layout.seconds = round(time.monotonic() - started, 1)
        write_info(conn, layout)
    analyze(engine)
    return layout


def _drop_secondary_indexes(conn: sa.Connection, tables: tuple[str, ...]) -> list[str]:
    """PostgreSQL: drop the indexes that back no constraint on ``tables`` (rebuilt after the
    COPY, much faster than maintaining them row by row) and skip foreign-key triggers for
    this transaction (the builder writes consistent ids). Returns the DDL to rebuild them."""
    if conn.dialect.name != "postgresql":
        return []
    conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
    rows = conn.execute(sa.text(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.schemaname = current_schema() AND i.tablename = ANY(:tables)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
    ), {"tables": list(tables)}).all()
    for name, _ddl in rows:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [ddl for _name, ddl in rows]


# ---- counters, sequences, statistics -----------------------------------------------------------

COUNTER_SQL = [
    # proposals: supports and visible comments
    """UPDATE proposal SET support_count = s.n FROM
         (SELECT proposal_id, count(*) AS n FROM proposal_support GROUP BY proposal_id) AS s
       WHERE s.proposal_id = proposal.id""",
    """UPDATE proposal SET comment_count = s.n FROM
         (SELECT proposal_id, count(*) AS n FROM comment WHERE proposal_id IS NOT NULL
          AND state = 'visible' GROUP BY proposal_id) AS s
       WHERE s.proposal_id = proposal.id""",
    """UPDATE proposal_settings SET published_count = s.n FROM
         (SELECT consultation_id, count(*) AS n FROM proposal WHERE state <> 'draft'
          GROUP BY consultation_id) AS s
       WHERE s.consultation_id = proposal_settings.consultation_id""",
    """INSERT INTO proposal_support_budget (user_id, consultation_id, used)
       SELECT s.user_id, p.consultation_id, count(*) FROM proposal_support s
       JOIN proposal p ON p.id = s.proposal_id GROUP BY s.user_id, p.consultation_id""",
    # sections and comment tallies
    """UPDATE consultation_section SET comment_count = s.n FROM
         (SELECT section_id, count(*) AS n FROM comment WHERE section_id IS NOT NULL
          AND state = 'visible' GROUP BY section_id) AS s
       WHERE s.section_id = consultation_section.id""",
    """INSERT INTO comment_tally (proposal_id, comment_count, in_favour_count, against_count, neutral_count)
       SELECT proposal_id, count(*),
              sum(CASE WHEN position = 'in_favour' AND depth = 0 THEN 1 ELSE 0 END),
              sum(CASE WHEN position = 'against' AND depth = 0 THEN 1 ELSE 0 END),
              sum(CASE WHEN position = 'neutral' AND depth = 0 THEN 1 ELSE 0 END)
       FROM comment WHERE proposal_id IS NOT NULL AND state = 'visible' GROUP BY proposal_id""",
    """INSERT INTO comment_tally (consultation_id, comment_count, in_favour_count, against_count, neutral_count)
       SELECT consultation_id, count(*),
              sum(CASE WHEN position = 'in_favour' AND depth = 0 AND section_id IS NULL THEN 1 ELSE 0 END),
              sum(CASE WHEN position = 'against' AND depth = 0 AND section_id IS NULL THEN 1 ELSE 0 END),
              sum(CASE WHEN position = 'neutral' AND depth = 0 AND section_id IS NULL THEN 1 ELSE 0 END)
       FROM comment WHERE consultation_id IS NOT NULL AND state = 'visible' GROUP BY consultation_id""",
    # questions, options, participation
    """UPDATE consultation_question SET answer_count = s.n FROM
         (SELECT question_id, count(*) AS n FROM consultation_answer GROUP BY question_id) AS s
       WHERE s.question_id = consultation_question.id""",
    """INSERT INTO consultation_participation (consultation_id, user_id, created_at)
       SELECT consultation_id, user_id, min(created_at) FROM consultation_answer
       GROUP BY consultation_id, user_id""",
    """UPDATE consultation SET participant_count = s.n FROM
         (SELECT consultation_id, count(*) AS n FROM consultation_participation GROUP BY consultation_id) AS s
       WHERE s.consultation_id = consultation.id""",
]


def recompute_counters(conn: sa.Connection) -> None:
    for sql in COUNTER_SQL:
        conn.exec_driver_sql(sql)
    recompute_option_votes(conn)


def recompute_option_votes(conn: sa.Connection) -> None:
    """Option votes: ``option_ids`` is JSON; every bench answer holds one option id."""
    conn.exec_driver_sql("UPDATE consultation_question_option SET vote_count = 0")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            """UPDATE consultation_question_option SET vote_count = s.n FROM
                 (SELECT (option_ids->>0)::int AS option_id, count(*) AS n FROM consultation_answer
                  GROUP BY 1) AS s WHERE s.option_id = consultation_question_option.id"""
        )
    else:
        conn.exec_driver_sql(
            """UPDATE consultation_question_option SET vote_count = s.n FROM
                 (SELECT CAST(json_extract(option_ids, '$[0]') AS INTEGER) AS option_id, count(*) AS n
                  FROM consultation_answer GROUP BY 1) AS s WHERE s.option_id = consultation_question_option.id"""
        )


def set_sequences(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """After explicit ids: move each serial sequence past the highest id (PostgreSQL)."""
    if conn.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer) or pk[0].name != "id":
            continue
        conn.exec_driver_sql(
            f"""SELECT setval(pg_get_serial_sequence('"{table.name}"', 'id'),
                   COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)"""  # noqa: S608 - our table names
        )


def analyze(engine: sa.Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def write_info(conn: sa.Connection, layout: Layout) -> None:
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {INFO_TABLE} (key VARCHAR(40) PRIMARY KEY, value TEXT)")
    conn.exec_driver_sql(f"DELETE FROM {INFO_TABLE}")  # noqa: S608 - constant name
    conn.execute(
        sa.text(f"INSERT INTO {INFO_TABLE} (key, value) VALUES ('layout', :v)"),  # noqa: S608
        {"v": json.dumps(layout.__dict__)},
    )


def read_info(engine: sa.Engine) -> Layout | None:
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text(f"SELECT value FROM {INFO_TABLE} WHERE key = 'layout'")).scalar()  # noqa: S608
    except sa.exc.DBAPIError:
        return None
    if not value:
        return None
    return Layout(**json.loads(value))
