"""State changes of curation: importing a collection export, refreshing embeddings,
suggesting tags and deciding on them. Small typed functions, one transaction each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from exhibits.curation import embedding_store, importer, search_index, tagging
from exhibits.curation.embeddings import TextEncoder, default_encoder
from exhibits.models import Artifact, PublicationStatus, TagSuggestion

Progress = Callable[[int, int], None]
IMPORT_BATCH = 500


@dataclass
class ImportConflict:
    """A field a person edited since the last import, whose value the file would change."""

    line: int
    object_number: str
    field: str
    current: Any  # the person's value: kept, unless overwrite_edited
    imported: Any  # the file's value

    def describe(self) -> str:
        return (
            f"line {self.line} ({self.object_number}): {self.field} was edited "
            f"({self.current!r}); the file says {self.imported!r}"
        )


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[importer.Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    header_problems: list[str] = field(default_factory=list)
    embedded: int = 0
    # Edited fields: kept (the default) or, with overwrite_edited, overwritten and listed here.
    conflicts: list[ImportConflict] = field(default_factory=list)
    overwrote_edited: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def importable_fields() -> dict[str, int | None]:
    """Artifact fields an import may write, with their max length."""
    names = set(importer.DEFAULT_MAPPING) | {"description", "rights", "attribution"}
    return {
        f.name: getattr(f, "max_length", None) for f in Artifact._meta.fields if f.name in names
    }


def import_collection(
    *,
    data: bytes,
    mapping: Mapping[str, str] | None = None,
    encoding: str = "utf-8",
    update_embeddings: bool = True,
    encoder: TextEncoder | None = None,
    progress: Progress | None = None,
    overwrite_edited: bool = False,
) -> ImportReport:
    """Create or update artifacts from a CSV export, keyed by object number.

    New artifacts are drafts; an existing artifact keeps its status and only changed fields are
    written. Each artifact keeps the values of its last import (`imported_record`): a field
    whose value differs from it (or, with no record of an import, is filled in) was edited by
    a person and is kept, reported in `conflicts`; `overwrite_edited` writes the file's value
    over it. Rejected rows are reported, never fatal. Embeddings are refreshed afterwards."""
    lengths = {name: n for name, n in importable_fields().items() if n}
    rows, rejected, header = importer.parse_rows(
        data, mapping, encoding=encoding, max_lengths=lengths
    )
    report = ImportReport(
        rows=len(rows) + len(rejected),
        rejected=rejected,
        header_problems=header,
        overwrote_edited=overwrite_edited,
    )
    with transaction.atomic():
        for start in range(0, len(rows), IMPORT_BATCH):
            _import_batch(rows[start : start + IMPORT_BATCH], report, overwrite_edited)
            if progress:
                progress(min(start + IMPORT_BATCH, len(rows)), len(rows))
    if update_embeddings and rows:
        numbers = [str(row.fields["object_number"]) for row in rows]
        report.embedded = refresh_embeddings(
            artifacts=Artifact.objects.filter(object_number__in=numbers), encoder=encoder
        )
    search_index.request_index_rebuild()  # bulk writes send no post_save
    return report


def _edited(artifact: Artifact, name: str) -> bool:
    """Did a person change this field since the last import? With no record of an import of
    it, a filled-in value counts as a person's (it cannot be told apart)."""
    current = getattr(artifact, name)
    record = artifact.imported_record or {}
    if name in record:
        return bool(current != record[name])
    return current not in ("", None)


def _import_batch(
    rows: list[importer.ParsedRow], report: ImportReport, overwrite_edited: bool
) -> None:
    numbers = [str(row.fields["object_number"]) for row in rows]
    existing = {a.object_number: a for a in Artifact.objects.filter(object_number__in=numbers)}
    now = timezone.now()
    new: list[Artifact] = []
    touched: list[Artifact] = []
    changed_fields: set[str] = set()
    for row in rows:
        number = str(row.fields["object_number"])
        report.warnings.extend(f"line {row.line} ({number}): {w}" for w in row.warnings)
        artifact = existing.get(number)
        if artifact is None:
            new.append(
                Artifact(**row.fields, status=PublicationStatus.DRAFT, imported_record=row.fields)
            )
            continue
        diff: set[str] = set()
        for name, value in row.fields.items():
            if getattr(artifact, name) == value:
                continue
            if _edited(artifact, name):
                report.conflicts.append(
                    ImportConflict(row.line, number, name, getattr(artifact, name), value)
                )
                if not overwrite_edited:
                    continue
            diff.add(name)
        record = {**(artifact.imported_record or {}), **row.fields}
        if not diff and record == artifact.imported_record:
            report.unchanged += 1
            continue
        for name in diff:
            setattr(artifact, name, row.fields[name])
        if diff:
            artifact.updated_at = now
            report.updated += 1
        else:
            report.unchanged += 1
        artifact.imported_record = record
        touched.append(artifact)
        changed_fields |= diff
    Artifact.objects.bulk_create(new)
    if touched:
        Artifact.objects.bulk_update(
            touched, [*sorted(changed_fields), "imported_record", "updated_at"]
        )
    report.created += len(new)


def refresh_embeddings(
    *, artifacts: Iterable[Artifact] | None = None, encoder: TextEncoder | None = None
) -> int:
    """Recompute missing or stale cached embeddings (all artifacts by default); returns how
    many artifacts were checked. A per-call encoder (TF-IDF) caches nothing."""
    encoder = encoder or default_encoder()
    items = list(artifacts if artifacts is not None else Artifact.objects.order_by("pk"))
    if not embedding_store.is_cacheable(encoder):
        return 0
    with transaction.atomic():
        embedding_store.embeddings_for(items, encoder)
    search_index.request_index_rebuild()
    return len(items)


def _lacking(field: str) -> models.Q:
    return models.Q(**{field: ""})


def suggest_tags(
    *,
    fields: Iterable[str] = tagging.FIELDS,
    k: int = 10,
    min_confidence: float = 0.5,
    encoder: TextEncoder | None = None,
) -> int:
    """Store pending suggestions for artifacts lacking classification or materials.

    Idempotent: pending suggestions of a field are replaced by the fresh ones; accepted and
    rejected ones are kept and never suggested again. Returns how many are pending now."""
    encoder = encoder or default_encoder()
    artifacts = list(Artifact.objects.order_by("pk"))
    if not artifacts:
        return 0
    vectors = embedding_store.embeddings_for(artifacts, encoder)
    position = {artifact.pk: i for i, artifact in enumerate(artifacts)}
    pending = 0
    with transaction.atomic():
        for name in fields:
            targets = [a for a in artifacts if not getattr(a, name).strip()]
            labelled = [a for a in artifacts if getattr(a, name).strip()]
            found = tagging.suggest(
                name,
                [a.pk for a in targets],
                vectors[[position[a.pk] for a in targets]] if targets else np.zeros((0, 1)),
                [
                    tagging.Labelled(a.pk, a.object_number, a.title, getattr(a, name))
                    for a in labelled
                ],
                vectors[[position[a.pk] for a in labelled]] if labelled else np.zeros((0, 1)),
                k=k,
                min_confidence=min_confidence,
            )
            pending += _store_suggestions(name, [a.pk for a in targets], found)
    return pending


def _store_suggestions(field: str, target_ids: list[int], found: list[tagging.Suggestion]) -> int:
    """Make the pending suggestions of `field` exactly `found` (less decided values), keeping
    the rows (and their ids) of those that are suggested again."""
    decided = set(
        TagSuggestion.objects.filter(field=field, artifact_id__in=target_ids)
        .exclude(status=TagSuggestion.Status.PENDING)
        .values_list("artifact_id", "value")
    )
    pending = {
        (row.artifact_id, row.value): row
        for row in TagSuggestion.objects.filter(field=field, status=TagSuggestion.Status.PENDING)
    }
    fresh = {
        (s.artifact_id, s.value[:200]): s
        for s in found
        if (s.artifact_id, s.value[:200]) not in decided
    }
    stale = [row.pk for key, row in pending.items() if key not in fresh]
    TagSuggestion.objects.filter(pk__in=stale).delete()
    kept = []
    for key, suggestion in fresh.items():
        if key in pending:
            row = pending[key]
            row.confidence, row.evidence = suggestion.confidence, suggestion.evidence
            kept.append(row)
    TagSuggestion.objects.bulk_update(kept, ["confidence", "evidence"])
    TagSuggestion.objects.bulk_create(
        TagSuggestion(
            artifact_id=artifact_id,
            field=field,
            value=value,
            confidence=suggestion.confidence,
            evidence=suggestion.evidence,
        )
        for (artifact_id, value), suggestion in fresh.items()
        if (artifact_id, value) not in pending
    )
    return len(fresh)


class TagConflict(ValidationError):
    """The field was set by a person since the suggestion was made: nothing is overwritten."""


def accept_tag_suggestion(*, suggestion: TagSuggestion, user: User) -> Artifact:
    """Write the suggested value onto the artifact (materials are appended) and record who.

    Suggestions are made for artifacts whose field was empty. If a person has since set the
    classification to another value, accepting raises TagConflict naming both values; the
    person's value stays and the suggestion stays pending (to reject, or to accept once the
    classification is cleared)."""
    if suggestion.status != TagSuggestion.Status.PENDING:
        raise ValidationError(_("This suggestion has already been decided."))
    with transaction.atomic():
        artifact = Artifact.objects.select_for_update().get(pk=suggestion.artifact_id)
        current = getattr(artifact, suggestion.field).strip()
        if (
            suggestion.field == TagSuggestion.Field.CLASSIFICATION
            and current
            and current.casefold() != suggestion.value.strip().casefold()
        ):
            raise TagConflict(
                _(
                    "%(object)s: the classification was set to “%(current)s” since "
                    "“%(value)s” was suggested; the person's value was kept and the "
                    "suggestion is still open."
                )
                % {"object": artifact.object_number, "current": current, "value": suggestion.value},
                code="conflict",
            )
        if suggestion.field == TagSuggestion.Field.MATERIALS and current:
            if suggestion.value.casefold() not in current.casefold():
                artifact.materials = f"{current}, {suggestion.value}"
        else:
            setattr(artifact, suggestion.field, suggestion.value)
        artifact.save()
        _decide(suggestion, TagSuggestion.Status.ACCEPTED, user)
        if suggestion.field == TagSuggestion.Field.CLASSIFICATION:
            # One classification: the other pending candidates for it are moot.
            TagSuggestion.objects.filter(
                artifact=artifact, field=suggestion.field, status=TagSuggestion.Status.PENDING
            ).delete()
    return artifact  # artifact.save() asked for a search index rebuild


def reject_tag_suggestion(*, suggestion: TagSuggestion, user: User) -> None:
    if suggestion.status != TagSuggestion.Status.PENDING:
        raise ValidationError(_("This suggestion has already been decided."))
    with transaction.atomic():
        _decide(suggestion, TagSuggestion.Status.REJECTED, user)


def _decide(suggestion: TagSuggestion, status: str, user: User) -> None:
    suggestion.status = status
    suggestion.decided_by = user
    suggestion.decided_at = timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
