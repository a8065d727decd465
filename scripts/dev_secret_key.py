"""Print the SECRET_KEY that `make run` gives its processes.

museum.settings refuses the development key when DEBUG is off, so `make run` needs a real one:
the SECRET_KEY of the environment or of .env when one is set, else a random key made once per
var dir and kept in `<var>/dev-secret-key` (mode 0600), so logins survive a restart. Standard
library and django-environ only (the same .env parsing as the settings); no Django setup.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[1]


def dev_secret_key() -> str:
    env_file = Path(os.environ.get("MOUSEION_ENV_FILE", BASE_DIR / ".env"))
    environ.Env.read_env(env_file, overwrite=False)
    if key := os.environ.get("SECRET_KEY"):
        return key
    var_dir = Path(os.environ.get("MOUSEION_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "dev-secret-key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(50)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


if __name__ == "__main__":
    sys.stdout.write(dev_secret_key() + "\n")
