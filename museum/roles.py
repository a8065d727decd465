"""The roles of the museum as Django groups. Visitors are anonymous and need no group."""

from __future__ import annotations

from typing import Any

CURATOR = "curator"
EDUCATOR = "educator"

# (app_label, model) -> actions. Kept as data so the sync and the tests read one source.
ROLE_PERMISSIONS: dict[str, dict[tuple[str, str], tuple[str, ...]]] = {
    CURATOR: {
        ("exhibits", model): ("add", "change", "delete", "view")
        for model in (
            "artifact",
            "asset",
            "annotation",
            "annotationclass",  # the region vocabulary (#23)
            "canvas",
            "exhibition",
            "exhibitionitem",
            "tagsuggestion",
        )
    }
    | {
        ("museum", model): ("add", "change", "delete", "view")
        for model in ("floor", "room", "passage")
    }
    | {
        # Condition checks (issue #6): run them, read them, correct their masks.
        ("restoration", model): ("add", "change", "delete", "view")
        for model in ("conditionrecord", "damagefinding", "maskcorrection")
    }
    | {
        # Virtual restorations (issues #7, #8): request, review (accept / reject), read.
        ("restoration", model): ("add", "change", "delete", "view")
        for model in ("restorationjob", "restoredregion")
    }
    | {
        ("exhibits", "job"): ("view",),
        ("museum", "tour"): ("view",),
        ("exhibits", "imageservice"): ("view",),  # flat works' IIIF services (#20)
        ("museum", "visitcount"): ("view",),  # the visit analytics dashboard (#23)
    },
    EDUCATOR: {
        ("museum", "tour"): ("add", "change", "delete", "view"),
        ("museum", "tourstop"): ("add", "change", "delete", "view"),
        ("museum", "livetour"): ("change", "view"),
        ("museum", "tourquestion"): ("view",),
        ("exhibits", "artifact"): ("view",),
        ("exhibits", "annotation"): ("view",),
        ("exhibits", "annotationclass"): ("view",),
        ("exhibits", "canvas"): ("view",),
        ("exhibits", "exhibition"): ("view",),
    },
}


def sync_role_permissions(apps: Any) -> None:
    """Create the role groups and grant ROLE_PERMISSIONS (idempotent). `apps` is the app
    registry: the global one after `migrate` (museum.apps), or a migration state's."""
    from django.contrib.auth.management import create_permissions

    # Permissions are created per app after migrate; make sure those of every app exist now.
    for app_config in apps.get_app_configs():
        if getattr(app_config, "models_module", None) is None:  # a migration state's config
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, apps=apps, verbosity=0)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for (app_label, model), actions in grants.items():
            if not apps.is_installed(app_label):
                continue
            try:
                apps.get_model(app_label, model)
            except LookupError:
                continue  # a model a later migration adds: granted by that migration's sync
            for action in actions:
                group.permissions.add(
                    permission_model.objects.get(
                        content_type__app_label=app_label, codename=f"{action}_{model}"
                    )
                )
