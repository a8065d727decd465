"""Which restored files visitors may fetch: those of accepted restorations only. The review
service calls `sync_public_files` after every decision; the collection's visibility rule
(exhibits.collection.visibility) then reads `Asset.public`, so exhibits needs nothing from here."""

from __future__ import annotations

from exhibits.models import Asset
from restoration.restore.models import RestorationJob


def job_asset_ids(job: RestorationJob) -> set[int]:
    """Every asset a restoration wrote: model, textures and masks (its report lists them all)."""
    listed = (job.report or {}).get("assets", {}) if isinstance(job.report, dict) else {}
    ids = {job.restored_model_id, job.restored_texture_id, job.generated_mask_id}
    ids.add(listed.get("model"))
    for key in ("textures", "masks"):
        ids |= set(listed.get(key) or [])
    return {i for i in ids if isinstance(i, int)}


def sync_public_files(*, artifact_id: int) -> None:
    """Mark public the restored files of the artifact's accepted restorations, and only those
    (a superseded, pending or rejected restoration's files go private)."""
    accepted: set[int] = set()
    for job in RestorationJob.objects.filter(
        artifact_id=artifact_id,
        status=RestorationJob.Status.DONE,
        review=RestorationJob.Review.ACCEPTED,
    ):
        accepted |= job_asset_ids(job)
    restored = Asset.objects.filter(artifact_id=artifact_id, kind=Asset.Kind.RESTORED)
    restored.filter(public=True).exclude(pk__in=accepted).update(public=False)
    restored.filter(public=False, pk__in=accepted).update(public=True)
