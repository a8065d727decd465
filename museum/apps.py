from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sync_roles(sender: AppConfig, **kwargs: Any) -> None:
    """After `migrate` (and a test flush): the role groups and their permissions, once per run.

    post_migrate is sent once per app; acting on the last installed app means every app's
    models and permissions exist by then."""
    if sender.name != list(apps.app_configs.values())[-1].name:
        return
    from museum.roles import sync_role_permissions

    sync_role_permissions(kwargs.get("apps") or apps)


class MuseumConfig(AppConfig):
    """The visitor side (building, tours, planning, realtime) under the `museum` label."""

    name = "museum"
    verbose_name = _("Museum")

    def ready(self) -> None:
        # The Celery app is configured here, not in museum/__init__.py: importing the package
        # (e.g. the framework-free planning solvers) must load neither Django nor Celery.
        from museum import celery  # noqa: F401

        post_migrate.connect(sync_roles, dispatch_uid="museum.sync_roles")
