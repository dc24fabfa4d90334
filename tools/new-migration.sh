#!/usr/bin/env bash
# Autogenerate an Alembic migration from the models, against a scratch SQLite database
# brought to the current head. Serialised with flock so two people (or helpers) working in
# the same tree never create two heads.
set -euo pipefail
cd "$(dirname "$0")/.."
msg=${1:?usage: tools/new-migration.sh "message"}
exec 9>/tmp/civic-new-migration.lock
flock 9
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export DATABASE_URL="sqlite:///$scratch/scratch.sqlite3"
.venv/bin/flask --app wsgi db upgrade >/dev/null
.venv/bin/flask --app wsgi db migrate -m "$msg"
