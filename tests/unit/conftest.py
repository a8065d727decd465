"""Fixtures of the unit tests: media in a temporary folder, one user per role, API clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from museum.celery import app as celery_app
from museum.roles import CURATOR, EDUCATOR


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    """Uploaded and generated files go to a temporary folder, never into the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run Celery tasks in-process when queued (pair with django_capture_on_commit_callbacks)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def make_user(django_user_model) -> Callable:
    """make_user(role) -> a user of that role (None for 'anonymous')."""

    def build(role: str):
        if role == "anonymous":
            return None
        # No passwords: tests log in with force_login, and hashing one costs ~0.3 s.
        if role == "superuser":
            return django_user_model.objects.create_superuser("root", "root@example.org", None)
        user = django_user_model.objects.create_user(role, f"{role}@example.org", None)
        if role in (CURATOR, EDUCATOR):
            user.groups.add(Group.objects.get(name=role))
            user.is_staff = True  # the roles work in the admin
            user.save(update_fields=["is_staff"])
        return user

    return build


@pytest.fixture
def api_client_for(make_user) -> Callable[[str], APIClient]:
    """api_client_for(role) -> an APIClient logged in (by session) as a user of that role."""

    def build(role: str) -> APIClient:
        client = APIClient()
        user = make_user(role)
        if user is not None:
            client.force_login(user)
        return client

    return build


@pytest.fixture
def curator(make_user):
    return make_user(CURATOR)


@pytest.fixture
def educator(make_user):
    return make_user(EDUCATOR)


@pytest.fixture
def curator_api(curator) -> APIClient:
    client = APIClient()
    client.force_login(curator)
    return client


@pytest.fixture
def anon_api() -> APIClient:
    return APIClient()
