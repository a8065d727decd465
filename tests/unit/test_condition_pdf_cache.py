"""The condition PDF (#17): built once per content and served from the shared cache, rebuilt
after a change of what it shows, never served across the visibility rule, and built from
pictures decoded at reduced size."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files import File
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from museum.common import images
from restoration.condition import pdf, services, visibility
from restoration.models import ConditionRecord
from tests.unit import test_condition_services as base
from tests.unit.test_condition_api import png
from tests.unit.test_condition_services import (
    TEXTURE_H,
    TEXTURE_W,
    make_textured_artifact,
    run_check,
)

tiny_model = base.tiny_model

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def builds(monkeypatch) -> list[int]:
    """One entry per PDF actually built."""
    calls: list[int] = []
    original = pdf.condition_pdf

    def counting(**kwargs):
        calls.append(len(kwargs["records"]))
        return original(**kwargs)

    monkeypatch.setattr(pdf, "condition_pdf", counting)
    return calls


@pytest.fixture
def checked(tiny_model):
    artifact = make_textured_artifact()
    job = run_check(artifact, tiny_model)
    return artifact, ConditionRecord.objects.get(job=job)


def text_of(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_is_built_once_and_rebuilt_after_a_correction(checked, builds, make_user) -> None:
    artifact, record = checked
    visibility.set_released(records=ConditionRecord.objects.filter(pk=record.pk), released=True)
    url = f"/artifacts/{artifact.pk}/condition.pdf"
    first, second = Client().get(url), Client().get(url)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and builds == [1]
    services.save_mask_correction(
        record=record,
        damage_class="crack",
        data=png(TEXTURE_W, TEXTURE_H, fill=255),
        author=make_user("curator"),
    )
    third = Client().get(url)
    assert builds == [1, 1] and third.content != first.content  # the correction count changed
    Client().get(url)
    assert builds == [1, 1]


def test_a_release_changes_the_visitors_pdf(checked, builds) -> None:
    artifact, record = checked
    url = f"/artifacts/{artifact.pk}/condition.pdf"
    before = Client().get(url)
    assert "No condition check" in text_of(before.content)
    visibility.set_released(records=ConditionRecord.objects.filter(pk=record.pk), released=True)
    after = Client().get(url)
    assert record.model_version in text_of(after.content) and len(builds) == 2


@pytest.mark.parametrize("role", ["anonymous", "visitor"])
def test_a_private_records_cached_pdf_is_never_served_to_visitors(checked, make_user, role) -> None:
    artifact, record = checked  # not released
    curator = Client()
    curator.force_login(make_user("curator"))
    url = f"/artifacts/{artifact.pk}/condition.pdf"
    private = curator.get(url)
    assert record.model_version in text_of(private.content)  # now in the cache
    client = Client()
    if (user := make_user(role)) is not None:
        client.force_login(user)
    shown = client.get(url)
    assert shown.status_code == 200 and shown.content != private.content
    assert record.model_version not in text_of(shown.content)
    draft = make_textured_artifact(published=False)
    assert client.get(f"/artifacts/{draft.pk}/condition.pdf").status_code == 404


def test_a_normal_visitor_gets_the_released_report(checked) -> None:
    artifact, record = checked
    visibility.set_released(records=ConditionRecord.objects.filter(pk=record.pk), released=True)
    response = Client().get(f"/artifacts/{artifact.pk}/condition.pdf")
    assert response.status_code == 200 and record.model_version in text_of(response.content)


@pytest.fixture
def decoded(monkeypatch) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    original = images.decode

    def spy(image):
        sizes.append(image.size)
        return original(image)

    monkeypatch.setattr(images, "decode", spy)
    return sizes


def stored(tmp_path, name: str, image: Image.Image, **options) -> File:
    path = tmp_path / name
    image.save(path, **options)
    return File(open(path, "rb"), name=name)  # closed by File


def test_an_8k_jpeg_texture_is_decoded_at_reduced_size(tmp_path, decoded) -> None:
    field = stored(tmp_path, "texture.jpg", Image.new("L", (8192, 8192), 128), quality=80)
    picture = pdf.reduced_image(field)
    assert picture is not None and max(picture.size) == pdf.PICTURE_PX
    assert decoded == [(1024, 1024)]  # the DCT decoded 1/8 of each side, not 67M pixels


def test_an_8k_png_is_left_out_without_decoding_and_a_small_one_is_shown(tmp_path, decoded) -> None:
    big = stored(tmp_path, "gradcam.png", Image.new("L", (8192, 8192), 0))
    assert pdf.reduced_image(big) is None and decoded == []
    small = stored(tmp_path, "overlay.png", Image.new("RGB", (1024, 512), (9, 9, 9)))
    picture = pdf.reduced_image(small)
    assert picture is not None and picture.size == (700, 350)


def test_the_job_stores_the_grad_cam_as_jpeg(checked) -> None:
    _artifact, record = checked
    assert record.explanation.name.endswith(".jpg")
    with record.explanation.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG"
