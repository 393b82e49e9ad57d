# Frontrunner. `make run` serves the site on the embedded default; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py

# Django 6.1 needs Python 3.12 or newer. Take the first interpreter that runs and is new
# enough: $(PYTHON) if given, then python3.13/python3.12/python3 on PATH, then pyenv's.
PYTHON_CANDIDATES := $(PYTHON) python3.14 python3.13 python3.12 python3 \
	$(wildcard $(HOME)/.pyenv/versions/3.1[2-9]*/bin/python3) \
	$(wildcard /usr/local/bin/python3.1[2-9]) $(wildcard /usr/bin/python3.1[2-9])
FIND_PYTHON = for p in $(PYTHON_CANDIDATES); do \
	  if $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    $$p -c 'import sys; print(sys.executable)'; exit 0; fi; \
	done; echo "No Python 3.12+ found: install one, or pass PYTHON=/path/to/python3.12" >&2; exit 1

.PHONY: help run test lint format worker beat stack bench migrate demo clean

help:
	@echo "make run     serve the site at http://127.0.0.1:$(PORT) (SQLite, eager tasks, demo data)"
	@echo "make test    run the whole test suite (set DATABASE_URL and REDIS_URL for the real stack)"
	@echo "make lint    ruff check and format check, migrations check"
	@echo "make stack   gunicorn + Celery worker + beat against DATABASE_URL and REDIS_URL"
	@echo "make worker / make beat / make bench"

$(VENV)/.installed-run: requirements.txt
	@test -x $(PY) || { py=$$($(FIND_PYTHON)) && echo "Using $$py" && $$py -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.installed-run
	$(MANAGE) migrate --noinput

demo: migrate
	$(MANAGE) import_oscars --no-progress --if-empty
	$(MANAGE) load_demo
	$(MANAGE) seed_demo_season
	$(MANAGE) seed_demo_forums

run: demo
	@echo "Frontrunner is at http://127.0.0.1:$(PORT)/"
	$(MANAGE) runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(MANAGE) makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

worker: $(VENV)/.installed-run
	$(BIN)/celery -A config.celery_app worker --loglevel=INFO --concurrency=2 -Q default,odds,leaderboards,email

beat: $(VENV)/.installed-run
	$(BIN)/celery -A config.celery_app beat --loglevel=INFO --schedule=/tmp/frontrunner-celerybeat-schedule

# The real stack on this machine: DATABASE_URL and REDIS_URL must be set.
stack: $(VENV)/.installed-run
	@test -n "$$DATABASE_URL" && test -n "$$REDIS_URL" || { echo "Set DATABASE_URL and REDIS_URL"; exit 1; }
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0
	trap 'kill 0' EXIT; \
	$(BIN)/celery -A config.celery_app worker --loglevel=INFO --concurrency=2 -Q default,odds,leaderboards,email & \
	$(BIN)/celery -A config.celery_app beat --loglevel=INFO --schedule=/tmp/frontrunner-celerybeat-schedule & \
	$(BIN)/gunicorn config.wsgi --config gunicorn.conf.py --bind 127.0.0.1:$(PORT) --access-logfile - & \
	wait

# Quick sizes; benchmarks/README.md gives the real ones (odds.py --users 100000). Needs PostgreSQL and Redis.
bench: $(VENV)/.installed-dev
	$(PY) benchmarks/import_oscars.py
	$(PY) benchmarks/odds.py --users 5000 --burst 10000 --http-seconds 10
	$(PY) benchmarks/leaderboards.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
