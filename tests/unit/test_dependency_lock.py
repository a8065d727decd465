"""The hashed locks under requirements/ agree with pyproject.toml (run `make lock` after a change).

The Makefile installs from the locks with --require-hashes, so a dependency added to
pyproject.toml but not locked would be missing from every install; these tests say so first."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "requirements"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)")


def read_lock(name: str) -> dict[str, tuple[str, int]]:
    """{canonical name: (version, number of hashes)} of one lock file."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (LOCKS / name).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            pins[current] = (match.group(2), 0)
        elif current and "--hash=sha256:" in line:
            version, hashes = pins[current]
            pins[current] = (version, hashes + line.count("--hash=sha256:"))
        elif not line.startswith(" "):
            current = None
    return pins


def declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        requirements += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return requirements


LOCK_EXTRAS = {
    "runtime.txt": ("ml",),
    "dev.txt": ("dev", "ml", "scaled", "s3"),
    "production.txt": ("ml", "scaled", "s3"),
}


@pytest.mark.parametrize("lock", sorted(LOCK_EXTRAS))
def test_every_declared_dependency_is_locked_within_its_range(lock: str) -> None:
    pins = read_lock(lock)
    problems = []
    for requirement in declared(*LOCK_EXTRAS[lock]):
        name = canonicalize_name(requirement.name)
        if name == "torch":  # installed from the machine's CPU build, not from the lock
            continue
        if name not in pins:
            problems.append(f"{requirement} is not in requirements/{lock}")
        elif not requirement.specifier.contains(pins[name][0], prereleases=True):
            problems.append(f"{requirement} but requirements/{lock} pins {pins[name][0]}")
    assert not problems, "run `make lock`:\n" + "\n".join(problems)


@pytest.mark.parametrize("lock", sorted(LOCK_EXTRAS))
def test_every_pin_carries_a_hash_and_torch_stays_out(lock: str) -> None:
    pins = read_lock(lock)
    assert pins, f"requirements/{lock} pins nothing"
    unhashed = [name for name, (_version, hashes) in pins.items() if hashes == 0]
    assert not unhashed, f"pins without a hash in requirements/{lock}: {unhashed}"
    # An index's torch is the multi-GB CUDA build; the Makefile installs the CPU build itself.
    assert "torch" not in pins
    assert not any(name.startswith("nvidia-") for name in pins)


@pytest.mark.parametrize("lock", ["runtime.txt", "production.txt"])
def test_narrower_locks_agree_with_the_dev_lock(lock: str) -> None:
    dev = read_lock("dev.txt")
    narrow = read_lock(lock)
    differing = {
        name: (version, dev.get(name, (None,))[0])
        for name, (version, _hashes) in narrow.items()
        if dev.get(name, (None,))[0] != version
    }
    assert not differing, f"requirements/{lock} differs from dev.txt: {differing}"


def test_the_runtime_lock_holds_no_test_tools() -> None:
    runtime = read_lock("runtime.txt")
    for tool in ("pytest", "playwright", "ruff", "mypy", "moto"):
        assert tool not in runtime, f"{tool} is a test tool and should not be in runtime.txt"
