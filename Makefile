# Mouseion: `make run` starts the demo museum, `make test` runs the suite.
# Both install what is missing: a virtualenv in .venv (pip) and node_modules (npm ci).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test test-unit test-e2e bench lint typecheck format install install-runtime lock clean

# Python packages come from the hashed locks in requirements/ (`make lock` rebuilds them from
# pyproject.toml): runtime.txt for `make run`, dev.txt (runtime + tests, tools, the scaled and S3
# extras) for everything else. pip checks every file against its hash (--require-hashes; --no-deps
# because the lock is complete). torch is the one exception: the CPU build of 2.13.0 lies on this
# machine's disk and `pip install torch==2.13.0` takes it (an index would give a multi-GB CUDA
# build); the lock holds torch's own dependencies. Then the project itself, without build isolation
# (its build backend, setuptools, is in the lock too).
define install_locked
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(1)
	$(PY) -m pip install --quiet --no-deps torch==2.13.0
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
endef

$(VENV)/.installed-runtime: requirements/runtime.txt pyproject.toml
	$(call install_locked,requirements/runtime.txt)
	touch $@

$(VENV)/.installed: requirements/dev.txt pyproject.toml
	$(call install_locked,requirements/dev.txt)
	touch $@ $(VENV)/.installed-runtime

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

install-runtime: $(VENV)/.installed-runtime node_modules/.installed

# Rebuild the hashed locks after a change to pyproject.toml's dependencies. dev.txt is resolved
# first; the runtime and production locks are constrained to its versions, so all three agree.
# torch stays out of the locks (see install_locked above).
LOCK_ARGS := --quiet --generate-hashes --unsafe-package torch --no-emit-index-url \
  --no-emit-find-links --strip-extras --build-deps-for wheel
lock: install
	$(BIN)/pip-compile $(LOCK_ARGS) --extra dev --extra ml --extra scaled --extra s3 \
	  -o requirements/dev.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_ARGS) -c requirements/dev.txt --extra ml \
	  -o requirements/runtime.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_ARGS) -c requirements/dev.txt --extra ml --extra scaled --extra s3 \
	  -o requirements/production.txt pyproject.toml

# The settings refuse the development SECRET_KEY without DEBUG: unless SECRET_KEY is set (in the
# environment or .env), `make run` uses a random key kept in var/dev-secret-key.
# `manage.py seed_demo` seeds the demo (collection, floor plan, tour, accounts) into an empty
# database only; a database with content is left as it is (`seed_demo --reset` restores it).
run: install-runtime
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
# redis-server, nginx and janus (live voice's media server; .ci/run installs them). The stack
# is stopped however the tests end.
.PHONY: test-scaled bench-scaled
SCALED_DIR := $(CURDIR)/var/scaled
SCALED_ENV := set -a && . $(SCALED_DIR)/stack.env && set +a &&
# The demo password the live_museum fixture logs in with (tests/conftest.py DEMO_PASSWORD).
SCALED_DEMO_PASSWORD := mouseion-test-demo

# The dev lock holds the scaled and S3 extras too (redis, psycopg, channels-redis, django-storages).

test-scaled: install
	@for tool in redis-server nginx janus; do command -v $$tool >/dev/null || \
	  { echo "test-scaled needs $$tool (apt-get install postgresql redis-server nginx janus)"; \
	    exit 1; }; done
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
bench-scaled: install
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

# The French catalogue (locale/fr/LC_MESSAGES): `make messages` adds new marked strings to the
# .po (translate them there: tests/unit/test_languages.py fails on an untranslated or fuzzy one),
# `make compilemessages` writes the .mo that is committed with it. Both need GNU gettext.
.PHONY: messages compilemessages
messages: install
	$(BIN)/python manage.py makemessages -l fr --add-location=file --no-obsolete \
	  -i node_modules -i .venv -i var -i tests -i mouseion.egg-info -i deploy -i scripts -i requirements
compilemessages: install
	$(BIN)/python manage.py compilemessages -l fr

clean:
	rm -rf var/test var/bench var/staticfiles
