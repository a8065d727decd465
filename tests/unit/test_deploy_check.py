"""Production settings pass `manage.py check --deploy` with no warnings once the production
environment is given, and the same check refuses the defaults that only suit `make run`."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "museum.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://museum.example.org",
    "MOUSEION_HTTPS": "true",
}


def check_deploy(tmp_path: Path, **overrides: str | None) -> subprocess.CompletedProcess:
    return manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **overrides)


def manage(tmp_path: Path, *args: str, **overrides: str | None) -> subprocess.CompletedProcess:
    """`manage.py *args` with the museum's settings, no SECRET_KEY unless `overrides` give one
    (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("SECRET_KEY", None)
    env.update(MOUSEION_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="museum.settings")
    env.update({k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        env.pop(key, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_env_passes_check_deploy_with_no_warnings(tmp_path: Path) -> None:
    result = check_deploy(tmp_path, **PRODUCTION_ENV, SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "warning"),
    [
        # the development key (settings only load it with DEBUG on, see below)
        ({"SECRET_KEY": None, "DEBUG": "true"}, "security.W009"),
        ({"MOUSEION_HTTPS": "false"}, "security.W008"),  # plain HTTP: no redirect, no HSTS
        ({"SECURE_HSTS_PRELOAD": "false"}, "security.W021"),
        ({"DEBUG": "true"}, "security.W018"),
    ],
)
def test_check_deploy_refuses_unsafe_settings(
    tmp_path: Path, overrides: dict[str, str | None], warning: str
) -> None:
    env = {**PRODUCTION_ENV, "SECRET_KEY": secrets.token_urlsafe(50), **overrides}
    result = check_deploy(tmp_path, **env)
    assert result.returncode != 0
    assert warning in result.stderr + result.stdout


DEVELOPMENT_KEY = "django-insecure-mouseion-development-key-change-me-in-production"


@pytest.mark.parametrize("key", [None, DEVELOPMENT_KEY], ids=["unset", "explicit"])
def test_production_refuses_to_start_with_the_development_key(
    tmp_path: Path, key: str | None
) -> None:
    """Without DEBUG the settings do not load with the development key: no command, server or
    worker starts, whether the key is left unset or given explicitly."""
    result = manage(tmp_path, "check", **PRODUCTION_ENV, SECRET_KEY=key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "the development key is refused when DEBUG is off" in result.stderr


@pytest.mark.parametrize("debug", ["false", None], ids=["DEBUG=false", "DEBUG unset"])
def test_production_starts_with_a_real_key(tmp_path: Path, debug: str | None) -> None:
    env = {**PRODUCTION_ENV, "DEBUG": debug, "SECRET_KEY": secrets.token_urlsafe(50)}
    result = manage(tmp_path, "check", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_debug_machine_may_use_the_development_key(tmp_path: Path) -> None:
    result = manage(tmp_path, "check", DEBUG="true", SECRET_KEY=None)
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_run_key_is_random_and_kept(tmp_path: Path) -> None:
    """`make run` (no SECRET_KEY configured) gets a random key kept in the var dir."""
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["MOUSEION_VAR_DIR"] = str(tmp_path)
    env["MOUSEION_ENV_FILE"] = str(tmp_path / "absent.env")

    def key() -> str:
        script = ROOT / "scripts" / "dev_secret_key.py"
        return subprocess.run(
            [sys.executable, str(script)], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    first = key()
    assert len(first) >= 50 and first != DEVELOPMENT_KEY
    assert key() == first
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0
    env["SECRET_KEY"] = "from-the-environment"
    assert key() == "from-the-environment"
    result = manage(tmp_path, "check", SECRET_KEY=first)
    assert result.returncode == 0, result.stdout + result.stderr


def test_single_machine_defaults_serve_plain_http(settings) -> None:
    """`make run` on http://127.0.0.1 keeps working: no HTTPS redirect, no secure-only cookies."""
    assert settings.MOUSEION_HTTPS is False
    assert not settings.SECURE_SSL_REDIRECT
    assert not settings.SESSION_COOKIE_SECURE
    assert not settings.CSRF_COOKIE_SECURE


def test_visibility_timeout_shorter_than_a_job_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **os.environ,
            "MOUSEION_VAR_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "museum.settings",
            "REDIS_URL": "redis://127.0.0.1:1/0",  # never contacted: settings only
            "MOUSEION_JOB_TIME_LIMIT": "600",
            "MOUSEION_BROKER_VISIBILITY_TIMEOUT": "300",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "MOUSEION_BROKER_VISIBILITY_TIMEOUT (300 s) must exceed" in result.stderr


def production_example(tmp_path: Path) -> dict[str, str]:
    """deploy/mouseion.env.example as an operator fills it in: a real random key, and the
    paths under /var/lib/mouseion moved to a temporary folder."""
    example = {}
    for line in (ROOT / "deploy" / "mouseion.env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            example[key.strip()] = value.strip()
    assert example["DEBUG"] == "false"
    assert example["MOUSEION_HASHED_STATIC"] == "true"
    example["SECRET_KEY"] = secrets.token_urlsafe(50)
    example["MOUSEION_VAR_DIR"] = str(tmp_path)
    example["MEDIA_ROOT"] = str(tmp_path / "media")
    return example


def test_production_example_passes_check_deploy_with_no_warnings(tmp_path: Path) -> None:
    """The shipped example itself (not a hand-picked subset): HTTPS redirect, HSTS, secure
    cookies, hashed static files, all switched on by its values alone."""
    result = check_deploy(tmp_path, **production_example(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
    # Not vacuous: the same file with the development key is refused.
    refused = manage(tmp_path, "check", **{**production_example(tmp_path), "SECRET_KEY": None})
    assert refused.returncode != 0
