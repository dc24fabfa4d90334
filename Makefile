# Civic: two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test install translations migrate demo lint test-browser audit-page migration bench loadtest clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

translations: install
	$(FLASK) translate compile

migrate: install
	$(FLASK) db upgrade

## make run: install into .venv, compile translations, migrate, load demo data once, serve.
run: translations migrate
	$(FLASK) demo-data --if-empty
	$(FLASK) run --host 127.0.0.1 --port 5000

## make test: the whole suite on SQLite, then on PostgreSQL when one is reachable.
test: translations
	@bash tools/run-tests.sh

## node_modules: axe-core and the Nu Html Checker for the browser checks (package-lock.json).
NODE_STAMP := node_modules/.package-lock.json
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

## make test-browser: only the browser tests (Chromium, axe-core, Nu Html Checker, journeys).
test-browser: translations $(NODE_STAMP)
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

## make audit-page URL=/path: every browser check on one page, with a readable report.
audit-page: translations $(NODE_STAMP)
	$(BIN)/python -m tools.audit_page $(URL)

lint: install
	$(BIN)/ruff check .

## make migration m="what changed": autogenerate a migration against a scratch database.
migration: install
	@bash tools/new-migration.sh "$(m)"

## make bench SIZE=small|medium|large DURATION=10 DB=postgres|sqlite: build the database
## civic_bench_SIZE (reused; REBUILD=1 builds again), serve with gunicorn, measure every page.
## See docs/performance.md. PostgreSQL at BENCH_PG_URL (default postgres@127.0.0.1:5432).
SIZE ?= small
DURATION ?= 10
DB ?= postgres
bench: translations
	$(BIN)/python -m tools.bench --size $(SIZE) --duration $(DURATION) --db $(DB) $(if $(REBUILD),--rebuild)

## make loadtest DURATION=60 [FAULTS=1]: readers and writers for a fixed time; with FAULTS=1
## also restarts PostgreSQL and kills a gunicorn worker, then checks every acknowledged write.
loadtest: translations
	$(BIN)/python -m tools.loadtest --duration $(DURATION) $(if $(FAULTS),--restart-postgres --kill-worker)

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
