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
# Browser tests stay together on one xdist worker (one server, one Chromium, one audit).
PYTEST=(-m pytest -n "$JOBS" --dist loadgroup -p no:cacheprovider)

# axe-core and the Nu Html Checker come from npm (package-lock.json); install when missing.
if [ ! -f node_modules/axe-core/axe.min.js ] || [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "== npm ci (axe-core, vnu-jar for the browser tests)"
    npm ci --no-audit --no-fund --ignore-scripts || echo "== npm ci failed: browser tests will be skipped"
  else
    echo "== npm not found: cannot install axe-core and vnu-jar"
  fi
fi
chromium=${CIVIC_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || ! command -v java >/dev/null 2>&1 || [ ! -f node_modules/axe-core/axe.min.js ]; then
  if [ "${CIVIC_REQUIRE_BROWSER:-}" = "1" ]; then
    echo "== Browser tests CANNOT run (Chromium at $chromium, java or node_modules missing) and CIVIC_REQUIRE_BROWSER=1: they will FAIL"
  else
    echo "== Browser tests SKIPPED: Chromium at $chromium, java or node_modules is missing (apt-get install chromium default-jre-headless; npm ci)"
  fi
else
  echo "== Browser tests run in $chromium (tests/browser)"
fi

echo "== Civic tests on SQLite"
env -u TEST_DATABASE_URL $PY "${PYTEST[@]}" "${ARGS[@]}" || status=1

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
  TEST_DATABASE_URL="$pg_url" $PY "${PYTEST[@]}" "${ARGS[@]}" || status=1
else
  echo "== PostgreSQL is not reachable: ran the SQLite leg only (set TEST_DATABASE_URL to run both)."
fi
exit $status
