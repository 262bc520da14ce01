# KratomRef: two commands for a newcomer.
#   make run   — virtual environment, dependencies, SQLite database, seed library, dev server
#   make test  — the whole suite (SQLite by default; PostgreSQL when DATABASE_URL is set)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000

.PHONY: run test lint seed screenshots clean backup restore bench

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Front-end test tools (axe-core) come from the npm registry when npm is available.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

run: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py load_seed_library
	DEBUG=1 $(PY) manage.py runserver $(HOST)

seed: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py load_seed_library

# Test files run in parallel, one file per worker at a time (pytest-xdist); PYTEST_WORKERS=0 runs
# them in this process, one after another.
PYTEST_WORKERS ?= 2
test: $(VENV)/.installed $(if $(shell command -v npm),node_modules/.installed)
	$(PY) -m pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS)

screenshots: $(VENV)/.installed node_modules/.installed
	SCREENSHOT_DIR=docs/screenshots $(PY) -m pytest -q tests/test_browser.py

# Back up / restore the database DATABASE_URL names (pg_dump custom format, or an SQLite copy).
backup: $(VENV)/.installed
	$(PY) manage.py backup_database $(FILE)

restore: $(VENV)/.installed
	@test -n "$(FILE)" || (echo "Say which backup: make restore FILE=backups/kratomref-….dump" && exit 2)
	$(PY) manage.py restore_database "$(FILE)"
	$(PY) manage.py migrate --no-input

# The page benchmark (bench/README.md): PostgreSQL, the generated library at BENCH_CLAIMS claims
# (default 100000), gunicorn on CPU 0 and wrk on CPU 1; prints req/s and ratios, writes bench/results.json.
#   make bench                                   the full size (about 20 minutes with an existing database)
#   BENCH_CLAIMS=2000 BENCH_SECONDS=3 make bench  a quick run
bench: $(VENV)/.installed
	$(PY) bench/run.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules db.sqlite3 staticfiles test-results
