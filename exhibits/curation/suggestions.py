"""Suggested exhibitions: themes -> a draft exhibition with generated, editable texts -> rooms.

One draft Exhibition per suggestion run, its themes as rooms. The floor-plan model already
says "one exhibition, several rooms in order" (Room.exhibition + order_in_exhibition,
ExhibitionItem.room), and the narrative path, the introduction and the tour planner are about
the whole visit, so one exhibition per run fits without new models. Until a curator accepts it,
the room of each item lives in `Exhibition.explanation["rooms"]` (ExhibitionItem has no JSON
field), together with why each room holds what it holds. Nothing is published here: the
exhibition stays a draft until a person publishes it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import get_text_list, slugify
from django.utils.translation import gettext as _

from exhibits.curation import embeddings, labels, themes
from exhibits.models import (
    Artifact,
    Exhibition,
    ExhibitionItem,
    PublicationStatus,
    TextStatus,
)

SUGGESTER = "themes-v1"


def select_artifacts(
    *,
    classifications: Sequence[str] = (),
    cultures: Sequence[str] = (),
    continents: Sequence[str] = (),
    published_only: bool = False,
) -> QuerySet[Artifact]:
    queryset = Artifact.objects.all()
    if classifications:
        queryset = queryset.filter(classification__in=classifications)
    if cultures:
        queryset = queryset.filter(culture__in=cultures)
    if continents:
        queryset = queryset.filter(continent__in=continents)
    if published_only:
        queryset = queryset.filter(status=PublicationStatus.PUBLISHED)
    return queryset.order_by("object_number")


def encoder_by_name(name: str = "") -> embeddings.TextEncoder:
    """'hashing', 'tfidf', 'minilm', or '' for the default (MOUSEION_ENCODER, else the model)."""
    table = {
        "hashing": embeddings.HashingEncoder,
        "tfidf": embeddings.TfidfEncoder,
        "minilm": embeddings.MiniLMEncoder,
    }
    return table[name]() if name else embeddings.default_encoder()


def encode(artifacts: Sequence[Artifact], encoder: embeddings.TextEncoder) -> np.ndarray:
    # The embedding cache (exhibits/curation/embedding_store.embeddings_for) can replace this.
    return encoder.encode([embeddings.artifact_text(artifact) for artifact in artifacts])


def _year(artifact: Artifact) -> float | None:
    years = [y for y in (artifact.date_start_year, artifact.date_end_year) if y is not None]
    return sum(years) / len(years) if years else None


def _unique_slug(title: str) -> str:
    base = slugify(title)[:100] or "suggested-exhibition"
    for number in itertools.count(1):
        slug = base if number == 1 else f"{base}-{number}"
        if not Exhibition.objects.filter(slug=slug).exists():
            return slug
    raise AssertionError("unreachable")


def _explanation(
    suggestion: themes.Suggestion, artifacts: Sequence[Artifact], params: dict[str, Any]
) -> dict[str, Any]:
    def ref(index: int) -> int:
        return artifacts[index].pk

    rooms = []
    for position, theme in enumerate(suggestion.themes):
        similarity_to_next = (
            round(suggestion.path_similarities[position], 3)
            if position < len(suggestion.path_similarities)
            else None
        )
        rooms.append(
            {
                "name": theme.name,
                "artifacts": [ref(i) for i in theme.members],
                "terms": [
                    {"term": t.term, "count": t.count, "share": t.share} for t in theme.terms
                ],
                "ordered_by": theme.ordered_by,
                "central": [
                    {"artifact": ref(i), "similarity": round(s, 3)} for i, s in theme.central
                ],
                "neighbours": [
                    {"artifact": ref(i), "nearest": ref(j), "similarity": round(s, 3)}
                    for i, j, s in theme.neighbours
                ],
                "cohesion": round(theme.cohesion, 3),
                "similarity_to_next": similarity_to_next,
            }
        )
    return {
        "method": (
            "balanced k-means (exact capacitated assignment) on text embeddings; rooms named "
            "by c-TF-IDF terms; rooms ordered by a greedy + 2-opt path over theme similarity"
        ),
        **params,
        "rooms": rooms,
        "unplaced": [ref(i) for i in suggestion.unplaced],
    }


def suggest_exhibition(
    *,
    artifacts: Sequence[Artifact] | QuerySet[Artifact],
    rooms: int,
    per_room: int,
    seed: int = 0,
    encoder: embeddings.TextEncoder | None = None,
    title: str = "",
    filters: dict[str, Any] | None = None,
    user: Any = None,
    institution: str | None = None,
) -> Exhibition:
    """Cluster `artifacts` into themes and save them as one draft exhibition with generated
    labels and introduction (EN + FR). Deterministic for the same artifacts, encoder and seed."""
    artifacts = sorted(artifacts, key=lambda a: a.object_number)
    if not artifacts:
        raise ValidationError("No artifacts to suggest an exhibition from.")
    encoder = encoder or embeddings.default_encoder()
    texts = [embeddings.artifact_text(artifact) for artifact in artifacts]
    vectors = encode(artifacts, encoder)
    suggestion = themes.suggest(
        vectors,
        texts,
        n_rooms=rooms,
        per_room=per_room,
        seed=seed,
        years=[_year(artifact) for artifact in artifacts],
    )
    params = {
        "encoder": encoder.name,
        "seed": seed,
        "rooms_requested": rooms,
        "per_room": per_room,
        "filters": filters or {},
        "selected": len(artifacts),
    }
    if not title:
        terms = [themes.title_case(term) for term in suggestion.overall_terms]
        title = _("Suggested exhibition: %(themes)s") % {
            "themes": get_text_list(terms, _("and")) if terms else _("the collection")
        }
    ordered = [artifacts[i] for theme in suggestion.themes for i in theme.members]
    with transaction.atomic():
        exhibition = Exhibition.objects.create(
            title=title[:200],
            slug=_unique_slug(title),
            status=PublicationStatus.DRAFT,
            suggested_by=f"{SUGGESTER} ({encoder.name})"[:60],
            explanation=_explanation(suggestion, artifacts, params),
            introduction_status=TextStatus.GENERATED,
            created_by=user if getattr(user, "pk", None) else None,
        )
        ExhibitionItem.objects.bulk_create(
            ExhibitionItem(
                exhibition=exhibition,
                artifact=artifact,
                order=index,
                label_status=TextStatus.GENERATED,
            )
            for index, artifact in enumerate(ordered)
        )
        generate_texts(exhibition=exhibition, institution=institution)
    return exhibition


# --- texts -----------------------------------------------------------------------------------


def _regenerable(text: str, status: str, overwrite_approved: bool) -> bool:
    """Curator-written texts are never replaced; approved ones only when asked."""
    if status == TextStatus.WRITTEN:
        return not text.strip()
    return status == TextStatus.GENERATED or overwrite_approved


def room_names(exhibition: Exhibition) -> list[str]:
    """Rooms in visiting order: the accepted rooms, else the suggestion's themes."""
    names = list(exhibition.rooms.order_by("order_in_exhibition").values_list("name", flat=True))
    return names or [room["name"] for room in exhibition.explanation.get("rooms", [])]


def generate_texts(
    *, exhibition: Exhibition, institution: str | None = None, overwrite_approved: bool = False
) -> int:
    """(Re)generate wall labels and the introduction from the metadata, in English and French.
    Texts a person wrote are kept. Returns how many texts changed."""
    if institution is None:
        institution = getattr(settings, "MOUSEION_INSTITUTION", "")
    changed = 0
    with transaction.atomic():
        items = list(exhibition.items.select_related("artifact").order_by("order", "pk"))
        updates = []
        for item in items:
            if not _regenerable(item.label_text, item.label_status, overwrite_approved):
                continue
            texts = labels.wall_labels(item.artifact, institution=institution)
            item.label_text = texts.pop("en")
            item.label_translations = {**item.label_translations, **texts}
            item.label_status = TextStatus.GENERATED
            updates.append(item)
        ExhibitionItem.objects.bulk_update(
            updates, ["label_text", "label_translations", "label_status"]
        )
        changed += len(updates)
        intro = (exhibition.introduction, exhibition.introduction_status)
        if _regenerable(*intro, overwrite_approved):
            texts = labels.introductions([i.artifact for i in items], room_names(exhibition))
            exhibition.introduction = texts.pop("en")
            exhibition.introduction_translations = {
                **exhibition.introduction_translations,
                **texts,
            }
            exhibition.introduction_status = TextStatus.GENERATED
            exhibition.save(
                update_fields=[
                    "introduction",
                    "introduction_translations",
                    "introduction_status",
                    "updated_at",
                ]
            )
            changed += 1
    return changed


def set_label(*, item: ExhibitionItem, text: str, lang: str = "en") -> ExhibitionItem:
    """A person's wall label: stored and marked written, so regeneration keeps it. A new
    original drops the translations generated from the old one (pages would show them to
    visitors in other languages); translations a person wrote stay."""
    with transaction.atomic():
        if lang == "en":
            if item.label_status != TextStatus.WRITTEN:
                item.label_translations = {}
            item.label_text = text
        else:
            item.label_translations = {**item.label_translations, lang: text}
        item.label_status = TextStatus.WRITTEN
        item.save(update_fields=["label_text", "label_translations", "label_status"])
    return item


def set_introduction(*, exhibition: Exhibition, text: str, lang: str = "en") -> Exhibition:
    """A person's introduction, as `set_label`: generated translations of an old one go."""
    with transaction.atomic():
        if lang == "en":
            if exhibition.introduction_status != TextStatus.WRITTEN:
                exhibition.introduction_translations = {}
            exhibition.introduction = text
        else:
            exhibition.introduction_translations = {
                **exhibition.introduction_translations,
                lang: text,
            }
        exhibition.introduction_status = TextStatus.WRITTEN
        exhibition.save(
            update_fields=[
                "introduction",
                "introduction_translations",
                "introduction_status",
                "updated_at",
            ]
        )
    return exhibition


def approve_texts(*, exhibition: Exhibition) -> int:
    """Mark the generated introduction and labels as reviewed; returns how many."""
    with transaction.atomic():
        count = exhibition.items.filter(label_status=TextStatus.GENERATED).update(
            label_status=TextStatus.APPROVED
        )
        count += Exhibition.objects.filter(
            pk=exhibition.pk, introduction_status=TextStatus.GENERATED
        ).update(introduction_status=TextStatus.APPROVED)
    exhibition.refresh_from_db(fields=["introduction_status"])
    return count


# --- accepting (museum.building.services.accept_suggestion builds the rooms) -----------------


def theme_groups(exhibition: Exhibition) -> list[tuple[str, list[ExhibitionItem]]]:
    """(room name, items in order) from the suggestion, following the curator's edits: items
    removed since are dropped, items added since go to the last room, empty rooms vanish."""
    specs = exhibition.explanation.get("rooms") or []
    if not specs:
        raise ValidationError("This exhibition has no suggested rooms to accept.")
    items = list(exhibition.items.order_by("order", "pk"))
    by_artifact = {item.artifact_id: item for item in items}
    groups = [
        (str(spec.get("name") or f"Room {n}")[:120], [by_artifact[a] for a in spec["artifacts"]
         if a in by_artifact])
        for n, spec in enumerate(specs, 1)
    ]  # fmt: skip
    listed = {item.pk for _, members in groups for item in members}
    groups[-1][1].extend(item for item in items if item.pk not in listed)
    return [(name, members) for name, members in groups if members]
