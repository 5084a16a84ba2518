# Ticket System: the project's vocabulary. `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run worker test test-postgres lint format migrate seed messages check bench smoke clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test tools

migrate: $(STAMP) ## Apply database migrations
	$(PY) manage.py migrate --noinput

seed: migrate ## Load the demo data (idempotent)
	DEBUG=true $(PY) manage.py seed_demo

# scripts/run_dev.py supervises the web server and the worker: Ctrl-C or SIGTERM stops both, cleanly.
run: migrate ## Run the app with demo data on SQLite, plus a worker (Ctrl-C stops both)
	@DEBUG=true $(PY) manage.py seed_demo
	@echo ""
	@echo "  Ticket System on http://$(HOST):$(PORT)/   (back office: http://$(HOST):$(PORT)/admin/)"
	@echo ""
	@DEBUG=true exec $(PY) scripts/run_dev.py --host $(HOST) --port $(PORT)

worker: $(STAMP) ## Run a django-q2 worker
	$(PY) manage.py qcluster

test: $(STAMP) ## Run the whole test suite (SQLite unless DATABASE_URL is set)
	$(PY) -m pytest

lint: $(STAMP) ## ruff lint and format check, the layers between apps (import-linter), migrations check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

format: $(STAMP) ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: $(STAMP) ## Django system checks and a data-integrity report
	$(PY) manage.py check
	$(PY) manage.py check_data

messages: $(STAMP) ## Regenerate and compile the translation catalogs (needs gettext)
	$(PY) manage.py makemessages -l tr -l de --ignore=.venv --ignore=staticfiles --ignore=node_modules
	$(PY) manage.py compilemessages --ignore=.venv

smoke: $(STAMP) ## Production smoke test: gunicorn + qcluster on PostgreSQL and Redis (both on 127.0.0.1)
	bash scripts/smoke_production.sh

bench: $(STAMP) ## Run the benchmarks in bench/
	@for f in bench/bench_*.py; do [ -e "$$f" ] && $(PY) $$f; done; true

clean: ## Remove the virtualenv, caches and the local SQLite database
	rm -rf $(VENV) .pytest_cache .ruff_cache db.sqlite3 staticfiles
