# Halen/Brengen: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run` needs only what serving needs; the tests and tools come with `make test`.
SERVE_STAMP := $(VENV)/.installed-serve

.PHONY: run test test-fast test-browser lint lint-ci format bench bench-exports messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(SERVE_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(SERVE_STAMP)

run: $(SERVE_STAMP)
	$(BIN)/python manage.py migrate --no-input
	PORT=$(PORT) $(BIN)/python manage.py seed_demo
	HB_TECHNICAL_404=0 $(BIN)/python -m halenbrengen.serve -b 127.0.0.1 -p $(PORT) \
		--websocket-max-message-size 131072 --websocket-max-frame-size 131072 \
		halenbrengen.asgi:application

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not browser"

test-browser: $(STAMP)
	$(BIN)/python -m pytest -m browser

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint

lint-ci: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	mkdir -p locale
	$(BIN)/python manage.py makemessages -l nl -l en --no-obsolete --ignore='.venv/*' \
		--ignore='tests/*' --ignore='bench/*' --ignore='staticfiles/*' --ignore='static/vendor/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

# The live kaart under load, against this machine's PostgreSQL and Redis (bench/README.md).
bench: $(STAMP)
	$(BIN)/python bench/load.py --tafels 200 --clients 5 --interval 5 --duration 60 --processes 1

bench-exports: $(STAMP)
	$(BIN)/python bench/bench_exports.py

clean:
	rm -rf $(VENV) db.sqlite3 .test-db.sqlite3 staticfiles .pytest_cache
