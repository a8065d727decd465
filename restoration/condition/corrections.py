"""Curators' mask corrections: they belong to a texture of an artifact (artifact + texture
identity, ConditionRecord.correction_key), not to the condition record they were drawn on, so they
carry forward to every later record of the same texture (a new intake queues a new check) until a
curator retires them. A re-run condition job replaces its records, never the corrections or their
files. Small typed functions, one transaction each."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from museum.uploads import stored_first
from restoration.condition import images, review
from restoration.models import DAMAGE_CLASS_CHOICES, ConditionRecord, MaskCorrection


def texture_key(image: np.ndarray) -> str:
    """The identity of an analysed texture: its size and the digest of its decoded pixels (the
    same scan analysed again gives the same key; a different texture, a different one)."""
    pixels = np.ascontiguousarray(image)
    height, width = pixels.shape[:2]
    digest = hashlib.sha256(pixels.tobytes()).hexdigest()[:40]
    return f"{width}x{height}-{digest}"


def attach(records: Iterable[ConditionRecord]) -> None:
    """Fill `applied_corrections` of many records of one or more artifacts with one query."""
    records = list(records)
    if not records:
        return
    found = MaskCorrection.objects.filter(
        artifact_id__in={r.artifact_id for r in records},
        texture_key__in={r.correction_key for r in records},
        retired_at__isnull=True,
    ).select_related("author")
    by_texture: dict[tuple[int, str], list[MaskCorrection]] = {}
    for correction in found:  # newest first (model ordering)
        by_texture.setdefault((correction.artifact_id, correction.texture_key), []).append(
            correction
        )
    for record in records:
        record.__dict__["applied_corrections"] = by_texture.get(
            (record.artifact_id, record.correction_key), []
        )


def carry_forward(*, old: Iterable[ConditionRecord], new: Iterable[ConditionRecord]) -> int:
    """Point the corrections drawn on (or carried to) `old` records at the `new` record of the
    same texture, before the old records are removed; the rest keep no record (still applied by
    texture). Call inside the publishing transaction. Returns how many were re-pointed."""
    by_key = {record.correction_key: record for record in new}
    moved = 0
    for record in old:
        target = by_key.get(record.correction_key)
        moved += MaskCorrection.objects.filter(record=record).update(record=target)
    return moved


def save_mask_correction(
    *,
    record: ConditionRecord,
    damage_class: str,
    data: bytes,
    author: Any = None,
    note: str = "",
) -> MaskCorrection:
    """Store a curator's corrected mask (any image of the texture's size, binarised) for the
    record's texture: it applies to this and every later record of the same texture."""
    if damage_class not in dict(DAMAGE_CLASS_CHOICES):
        raise ValidationError(_("Unknown damage class: %(c)s") % {"c": damage_class}, code="class")
    mask = _read_correction(record, data)
    correction = MaskCorrection(
        artifact_id=record.artifact_id,
        texture_key=record.correction_key,
        record=record,
        damage_class=damage_class,
        pixel_share=float(mask.mean()),
        author=author if getattr(author, "pk", None) else None,
        note=note[:2000],
    )
    name = f"t{record.image_index}-{damage_class}-corrected.png"
    # The file first, outside the transaction; removed if the row is not created.
    content = ContentFile(images.mask_png(mask))
    with stored_first(correction.mask, name, content), transaction.atomic():
        correction.save()
        review.mark_corrected(record=record, damage_class=damage_class, by=correction.author)
    return correction


def correction_sizes(record: ConditionRecord) -> list[tuple[int, int]]:
    """The sizes a corrected mask may have: the analysed texture's, and for a flat work's image
    also its web copy's (a full-size mask of a large scan is too big to draw or upload; the
    restoration scales it up)."""
    sizes = [(record.width_px, record.height_px)]
    preview = record.summary.get("preview") if record.canvas_id is not None else None
    if isinstance(preview, dict) and preview.get("width") and preview.get("height"):
        sizes.append((int(preview["width"]), int(preview["height"])))
    return sizes


def _read_correction(record: ConditionRecord, data: bytes) -> Any:
    sizes = correction_sizes(record)
    for number, (width, height) in enumerate(sizes):
        try:
            return images.read_mask(data, width=width, height=height)
        except images.MaskInputError as exc:
            if exc.code != "wrong_size":
                raise ValidationError(str(exc), code=exc.code) from exc
            if number == len(sizes) - 1:
                if len(sizes) > 1:
                    size = str(exc).split(";")[0]
                    raise ValidationError(
                        f"{size}; the image is {sizes[0][0]}×{sizes[0][1]}, its web copy "
                        f"{sizes[1][0]}×{sizes[1][1]}.",
                        code=exc.code,
                    ) from exc
                raise ValidationError(str(exc), code=exc.code) from exc
    raise AssertionError("unreachable: at least one size")


def retire_mask_correction(*, correction: MaskCorrection, user: Any) -> MaskCorrection:
    """Stop applying a correction to this and later condition records (kept, with its file, as a
    record of who drew and who retired it). Retiring a retired correction changes nothing."""
    with transaction.atomic():
        correction = MaskCorrection.objects.select_for_update().get(pk=correction.pk)
        if correction.retired_at is not None:
            return correction
        correction.retired_at = timezone.now()
        correction.retired_by = user if getattr(user, "pk", None) else None
        correction.save(update_fields=["retired_at", "retired_by"])
    return correction


def export_corrections(*, out_dir: Path) -> list[Path]:
    """Write the newest correction in force per (texture, class) in the layout `train_damage
    --finetune --corrections DIR` reads: <name>.png (the texture of the newest record of that
    texture) and <name>_<class>.png (white = damage). Retired corrections are left out."""
    from museum.common.images import PILLOW_BOMB_PIXELS, read_image

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    newest: dict[tuple[int, str, str], MaskCorrection] = {}
    for correction in MaskCorrection.objects.filter(retired_at__isnull=True).order_by(
        "-created_at", "-pk"
    ):
        key = (correction.artifact_id, correction.texture_key, correction.damage_class)
        newest.setdefault(key, correction)
    textures = _newest_records({(a, t) for a, t, _c in newest})
    written: list[Path] = []
    done: set[int] = set()
    for (artifact_id, texture, damage_class), correction in sorted(newest.items()):
        record = textures.get((artifact_id, texture))
        if record is None:  # no record of the texture is left: nothing to pair the mask with
            continue
        name = f"a{artifact_id}_r{record.pk}"
        if record.pk not in done:
            with (
                record.texture.open("rb") as handle,
                read_image(handle, max_pixels=PILLOW_BOMB_PIXELS) as image,
            ):
                image.convert("RGB").save(out_dir / f"{name}.png", format="PNG")
            written.append(out_dir / f"{name}.png")
            done.add(record.pk)
        target = out_dir / f"{name}_{damage_class}.png"
        with correction.mask.open("rb") as handle:
            target.write_bytes(handle.read())
        written.append(target)
    return written


def _newest_records(textures: set[tuple[int, str]]) -> dict[tuple[int, str], ConditionRecord]:
    """The newest condition record of each (artifact, texture identity)."""
    found: dict[tuple[int, str], ConditionRecord] = {}
    artifacts = {artifact_id for artifact_id, _key in textures}
    for record in ConditionRecord.objects.filter(artifact_id__in=artifacts).order_by(
        "-created_at", "-pk"
    ):
        key = (record.artifact_id, record.correction_key)
        if key in textures:
            found.setdefault(key, record)
    return found
