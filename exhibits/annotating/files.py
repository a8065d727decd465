"""An annotation's medium goes with it: deleted (on commit) when the annotation is deleted or
its medium replaced or cleared. Receivers connected in ExhibitsConfig.ready; an artifact's
deletion removes its annotations' media too (collection.services.delete_artifact)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db import transaction

from exhibits.collection.models import Annotation


def _delete_on_commit(storage: Any, name: str) -> None:
    transaction.on_commit(partial(storage.delete, name))


def remember_old_media(sender: type, instance: Annotation, **kwargs: Any) -> None:
    """pre_save: note the stored medium's name, so post_save can remove a replaced one."""
    if instance.pk is None:
        instance._old_media = ""
        return
    stored = Annotation.objects.filter(pk=instance.pk).values_list("media", flat=True).first()
    instance._old_media = stored or ""  # type: ignore[attr-defined]


def media_replaced(sender: type, instance: Annotation, **kwargs: Any) -> None:
    """post_save: the previous medium, when replaced or cleared, is deleted on commit."""
    old = getattr(instance, "_old_media", "")
    if old and old != (instance.media.name or ""):
        _delete_on_commit(instance.media.storage, old)


def annotation_deleted(sender: type, instance: Annotation, **kwargs: Any) -> None:
    """post_delete: the annotation's medium is deleted on commit."""
    if instance.media:
        _delete_on_commit(instance.media.storage, instance.media.name or "")
