"""Curators' accept / reject teaches a contextual bandit which method to prefer per damage class
and material; planned restorations ask it to choose among candidates whose measured scores are
close to the best (restoration.restore.method_bandit.MethodBandit, stored in MethodPreference)."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from restoration.restore.method_bandit import (
    GEOMETRY_CLASSES,
    MATERIALS,
    TEXTURE_CLASSES,
    TEXTURE_METHODS,
    MethodBandit,
    material_family,
)
from restoration.restore.models import MethodPreference, RestorationJob

SURFACE, SHAPE = "surface", "shape"


def _fresh(kind: str) -> MethodBandit:
    if kind == SHAPE:
        # The mesh core brings trimesh (~0.5 s): imported when a shape bandit is first made.
        from restoration.mesh.candidates import GEOMETRY_METHODS

        return MethodBandit(GEOMETRY_METHODS, GEOMETRY_CLASSES, MATERIALS)
    return MethodBandit(TEXTURE_METHODS, TEXTURE_CLASSES, MATERIALS)


def load_bandit(kind: str) -> MethodBandit:
    """The stored bandit of `kind`, or a fresh one when nothing usable is stored (or its
    contexts changed). A new set of methods keeps what curators taught the methods still
    offered (a method added to the planner must not erase their preferences)."""
    row = MethodPreference.objects.filter(kind=kind).first()
    if row is None or not row.state:
        return _fresh(kind)
    try:
        bandit = MethodBandit.from_state(row.state)
    except (KeyError, ValueError, TypeError):
        return _fresh(kind)
    fresh = _fresh(kind)
    if (bandit.classes, bandit.materials) != (fresh.classes, fresh.materials):
        return fresh
    if bandit.methods != fresh.methods:
        return bandit.with_methods(fresh.methods)
    return bandit


def region_class(kind: str, damage_class: str) -> str:
    """The bandit's damage class for a region (a union like "crack+loss" counts as its first
    known class; geometry is always "hole")."""
    if kind == SHAPE:
        return "hole"
    for part in damage_class.replace(",", "+").split("+"):
        if part.strip() in TEXTURE_CLASSES:
            return part.strip()
    return TEXTURE_CLASSES[0]


@transaction.atomic
def record_review(*, job: RestorationJob, accepted: bool) -> int:
    """Teach the bandit one reward per restored region of `job` (1 accepted, 0 rejected).
    Returns how many regions were learnt from. Row-locked, so concurrent reviews add up."""
    kind = job.kind
    if kind not in (SURFACE, SHAPE):
        return 0
    row, _ = MethodPreference.objects.select_for_update().get_or_create(kind=kind)
    bandit = load_bandit(kind) if row.state else _fresh(kind)
    material = material_family(job.artifact.materials or "")
    methods = bandit.methods
    learnt = 0
    for region in job.regions.all():
        if region.method not in methods:
            continue
        bandit.update(
            region_class(kind, region.damage_class), material, region.method, float(accepted)
        )
        learnt += 1
    row.state = bandit.to_state()
    row.reviews += 1 if learnt else 0
    row.save()
    return learnt


def has_reviews(kind: str) -> bool:
    return MethodPreference.objects.filter(kind=kind, reviews__gt=0).exists()


def texture_preference(*, materials: str, damage_class: str) -> Callable[[list[str]], str] | None:
    """A chooser for restore_texture(prefer=...): the bandit's pick among near-best methods;
    None before any review (then the best score wins)."""
    if not has_reviews(SURFACE):
        return None
    bandit = load_bandit(SURFACE)
    context = (region_class(SURFACE, damage_class), material_family(materials))

    def prefer(options: list[str]) -> str:
        known = [o for o in options if o in bandit.methods]
        return bandit.select(*context, available=known) if known else options[0]

    return prefer


def shape_context(*, materials: str) -> tuple[MethodBandit | None, tuple[str, str]]:
    """The shape bandit (None before any review) and its context, for
    RegionPlan.choose(bandit, context=...)."""
    bandit = load_bandit(SHAPE) if has_reviews(SHAPE) else None
    return bandit, ("hole", material_family(materials))
