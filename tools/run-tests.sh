#!/usr/bin/env bash
# The whole suite on SQLite, then again on PostgreSQL.
# TEST_DATABASE_URL (a PostgreSQL server URL) selects the server for the second leg; without
# it, a local server at 127.0.0.1:5432 is used when one answers, and skipped (said clearly)
# when none does. Browser tests run when Chromium is installed and are skipped (said) if not.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ARGS=("$@")
JOBS=${CIVIC_TEST_JOBS:-2}
status=0

echo "== Civic tests on SQLite"
env -u TEST_DATABASE_URL $PY -m pytest -n "$JOBS" -p no:cacheprovider "${ARGS[@]}" || status=1

pg_url=${TEST_DATABASE_URL:-}
if [ -z "$pg_url" ]; then
  if $PY - <<'PYEOF' 2>/dev/null
import psycopg
psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
PYEOF
  then
    pg_url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
  fi
fi

if [ -n "$pg_url" ]; then
  echo "== Civic tests on PostgreSQL ($pg_url)"
  TEST_DATABASE_URL="$pg_url" $PY -m pytest -n "$JOBS" -p no:cacheprovider "${ARGS[@]}" || status=1
else
  echo "== PostgreSQL is not reachable: ran the SQLite leg only (set TEST_DATABASE_URL to run both)."
fi
exit $status
