# Mouseion: `make run` starts the demo museum, `make test` runs the suite.
# Both install what is missing: a virtualenv in .venv (pip) and node_modules (npm ci).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-unit test-e2e bench lint typecheck format install clean

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

# The settings refuse the development SECRET_KEY without DEBUG: unless SECRET_KEY is set (in the
# environment or .env), `make run` uses a random key kept in var/dev-secret-key.
# `manage.py seed_demo` seeds the demo (collection, floor plan, tour, accounts) into an empty
# database only; a database with content is left as it is (`seed_demo --reset` restores it).
run: install
	@SECRET_KEY="$$($(PY) scripts/dev_secret_key.py)" && export SECRET_KEY && \
	$(PY) manage.py migrate --no-input && \
	$(PY) manage.py seed_demo && \
	echo "Mouseion: http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the worker)" && \
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start -f Procfile

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) lint-js
	MOUSEION_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	MOUSEION_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest tests/unit $(PYTEST_ARGS)

test-e2e: install
	MOUSEION_VAR_DIR=$(CURDIR)/var/test $(BIN)/pytest -m e2e tests/e2e $(PYTEST_ARGS)

bench: install
	MOUSEION_VAR_DIR=$(CURDIR)/var/bench $(BIN)/python -m pytest tests/bench -s -p no:cacheprovider -o addopts="" $(PYTEST_ARGS)

# The scaled profile on loopback (PostgreSQL, Redis, nginx, two uvicorn, a worker): see
# scripts/scaled/stack.py and README "Deploying at scale". Needs the Debian packages postgresql,
# redis-server and nginx (.ci/run installs them). The stack is stopped however the tests end.
.PHONY: test-scaled bench-scaled
SCALED_DIR := $(CURDIR)/var/scaled
SCALED_ENV := set -a && . $(SCALED_DIR)/stack.env && set +a &&
# The demo password the live_museum fixture logs in with (tests/conftest.py DEMO_PASSWORD).
SCALED_DEMO_PASSWORD := mouseion-test-demo

$(VENV)/.installed-scaled: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev,ml,scaled]'
	touch $@

test-scaled: install $(VENV)/.installed-scaled
	@for tool in redis-server nginx; do command -v $$tool >/dev/null || \
	  { echo "test-scaled needs $$tool (apt-get install postgresql redis-server nginx)"; exit 1; }; done
	@trap '$(PY) scripts/scaled/stack.py stop --dir $(SCALED_DIR)' EXIT; \
	export MOUSEION_ENCODER=hashing; \
	$(PY) scripts/scaled/stack.py start --dir $(SCALED_DIR) && \
	$(SCALED_ENV) $(PY) manage.py seed_demo --password $(SCALED_DEMO_PASSWORD) && \
	$(SCALED_ENV) $(PY) manage.py seed_floor_plan && \
	$(SCALED_ENV) $(PY) manage.py seed_demo_tour || exit 1; \
	status=0; \
	$(SCALED_ENV) $(BIN)/pytest tests/integration -m "not data" -p no:cacheprovider $(PYTEST_ARGS) \
	  || status=1; \
	$(SCALED_ENV) $(BIN)/pytest tests/scaled -p no:cacheprovider $(PYTEST_ARGS) || status=1; \
	exit $$status

# The presence benchmark on both profiles (scripts/scaled/bench.py); BENCH_SCALED_ARGS e.g.
# "--n 250 --seconds 60 --soak 600" (the issue's soak).
BENCH_SCALED_ARGS ?= --n 250 --seconds 60
bench-scaled: install $(VENV)/.installed-scaled
	@trap '$(PY) scripts/scaled/stack.py stop --dir $(SCALED_DIR)' EXIT; \
	MOUSEION_JOB_TIME_LIMIT=3900 MOUSEION_BROKER_VISIBILITY_TIMEOUT=4500 \
	  $(PY) scripts/scaled/stack.py start --dir $(SCALED_DIR) && \
	$(PY) scripts/scaled/bench.py --stack-dir $(SCALED_DIR) $(BENCH_SCALED_ARGS)

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# mypy with the Django and DRF plugins ([tool.mypy] in pyproject.toml).
typecheck: install
	$(BIN)/mypy

# ESLint (eslint.config.js) on the browser code.
.PHONY: lint-js
lint-js: node_modules/.installed
	node_modules/.bin/eslint static/js

format: install
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf var/test var/bench var/staticfiles
