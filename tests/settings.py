"""Settings of the test run and the type check: museum.settings with a test-only SECRET_KEY.

museum.settings refuses the development key when DEBUG is off (the default), as production
must. pytest (pytest-django) and mypy (django-stubs) load these settings instead; the key is
put in the environment, so the servers, workers and management commands that the tests start
as subprocesses inherit it. A SECRET_KEY already set wins.
"""

import os

os.environ.setdefault("SECRET_KEY", "mouseion-test-run-only-key-not-for-any-server-0123456789")

from museum.settings import *  # noqa: F403

# The suite makes many API calls from one address within seconds. Per-second rates far above it
# keep the throttles running on every request (and their cache entries short) without refusing
# it; the limit tests (tests/unit/test_throttling.py) put the real rates back.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_THROTTLE_RATES": {name: "1000/s" for name in THROTTLE_RATE_DEFAULTS},  # noqa: F405
}

# Visit analytics flush from a background thread after a presence socket leaves; tests that do not
# look at them keep them off, so no flush races their database (tests/unit/test_analytics_*.py
# turn them on).
MOUSEION_ANALYTICS = False

# Unit tests open and close the test database's connections per call as before (their isolation
# does not rely on long-lived connections in other threads); the servers the e2e and integration
# tests start use museum.settings' persistent SQLite connections.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
