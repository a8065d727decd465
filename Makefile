# Mouseion: `make run` starts the demo museum, `make test` runs the suite.
# Both install what is missing: a virtualenv in .venv (pip) and node_modules (npm ci).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-unit test-e2e bench lint format install clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,ml]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py seed_demo
	$(PY) manage.py seed_floor_plan
	$(PY) manage.py seed_demo_tour
	@echo "Mouseion: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)"
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MOUSEION_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	MOUSEION_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-e2e: install
	MOUSEION_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: install
	MOUSEION_VAR_DIR=$(CURDIR)/var/bench $(BIN)/python -m pytest tests/bench -s -p no:cacheprovider -o addopts="" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf var/test var/bench var/staticfiles
