# Civic: two commands set everything up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test install translations migrate demo lint test-browser audit-page migration bench clean

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

test-browser: translations
	$(BIN)/python -m pytest tests/browser -p no:cacheprovider

## make audit-page URL=/path: axe-core and the HTML checker on one page while developing.
audit-page: translations
	$(BIN)/python -m tools.audit_page $(URL)

lint: install
	$(BIN)/ruff check .

## make migration m="what changed": autogenerate a migration against a scratch database.
migration: install
	@bash tools/new-migration.sh "$(m)"

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache
