"""Benchmark: the condition PDF of an artifact with a 4096 x 4096 texture, first build (decode
at reduced size, lay out, encode) against a cached serve (GET through Django, from the shared
cache), measured in the same run. Prints both and the ratio; `make bench` runs it."""

from __future__ import annotations

import io
import statistics
import time

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from restoration.condition import visibility
from restoration.models import ConditionRecord
from tests.unit import test_condition_services as base
from tests.unit.test_condition_services import make_textured_artifact, run_check

tiny_model = base.tiny_model
pytestmark = pytest.mark.django_db


def best_of(function, repeats: int = 5) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def test_bench_condition_pdf_first_build_vs_cached(tiny_model) -> None:
    artifact = make_textured_artifact()
    record = ConditionRecord.objects.get(job=run_check(artifact, tiny_model))
    visibility.set_released(records=ConditionRecord.objects.filter(pk=record.pk), released=True)
    big = Image.radial_gradient("L").resize((4096, 4096)).convert("RGB")
    for field in (record.texture, record.explanation):
        buffer = io.BytesIO()
        big.save(buffer, format="JPEG", quality=90)
        field.save(f"big-{field.field.name}.jpg", ContentFile(buffer.getvalue()), save=False)
    record.save()
    url = f"/artifacts/{artifact.pk}/condition.pdf"

    def first() -> None:
        cache.clear()
        assert Client().get(url).status_code == 200

    first_s = best_of(first)
    Client().get(url)
    cached_s = best_of(lambda: Client().get(url), repeats=21)
    print(
        f"\ncondition PDF, 4096x4096 texture and Grad-CAM (JPEG): first build "
        f"{first_s * 1000:.1f} ms, cached serve {cached_s * 1000:.1f} ms; "
        f"ratio first/cached = {first_s / cached_s:.1f}"
    )
    assert first_s > cached_s
