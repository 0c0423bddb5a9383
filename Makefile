# The two commands: `make run` (set up and serve with the seed lists) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres install install-test translations browser lint bench

run: install  ## set up everything and serve http://127.0.0.1:5000 with the seed lists loaded
	$(BIN)/matchmaker serve

test: install-test lint  ## install the test extras and run the whole suite on SQLite, then PostgreSQL
	$(MAKE) test-sqlite
	$(MAKE) test-postgres

# Two workers: each has its own SQLite files or PostgreSQL schema (tests/support.py).
test-sqlite:
	$(BIN)/pytest -q -n 2

# The browser stories run once, on SQLite; everything else runs on PostgreSQL too.
test-postgres:
	DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -q -n 2 -m "not browser"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(MAKE) translations

install-test: install browser
	$(BIN)/pip install -q -e '.[test]'
	cd tests/browser && npm ci --no-audit --no-fund --silent

translations:
	$(BIN)/pybabel compile -d matchmaker/translations

# Browser tests drive Debian's Chromium (never a downloaded browser build), with CJK fonts
# so that screenshots show Chinese text.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk)

# ruff's rules include flake8-bandit (S); bandit itself reads the app's code too. Every finding
# left is either fixed or justified where it stands (# noqa: Sxxx / # nosec Bxxx with the
# reason). B101 (assert) is skipped as S101 is in pyproject: asserts here only narrow types.
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -r matchmaker models -q --skip B101

bench: install-test
	$(BIN)/python benchmarks/matcher_bench.py

messages:  ## extract UI strings and merge them into the Chinese catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k ngettext:1,2 -k N_ -o matchmaker/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i matchmaker/translations/messages.pot -d matchmaker/translations -l zh --no-fuzzy-matching
