"""The collection API: filters, validation errors, uploads, source integrity, schema."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from rest_framework.exceptions import ValidationError

from exhibits.collection import services
from exhibits.collection.serializers import Vector3Field, pick_thumbnail, pick_web_model
from exhibits.models import Artifact, Asset, ExhibitionItem, Job
from tests.unit.factories import (
    glb_bytes,
    make_annotation,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    """The error object every API error carries, after checking its shape."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- artifacts -------------------------------------------------------------------------------


def test_artifact_detail_has_assets_annotations_and_urls(anon_api) -> None:
    artifact = make_artifact(title="Kylix")
    source = make_source(artifact)
    thumbnail = make_thumbnail(source)
    make_annotation(artifact, title="Foot")

    body = anon_api.get(f"/api/artifacts/{artifact.pk}/").json()
    # Sources are private until the curator releases them (issue #16): visitors get no URL.
    assert {asset["kind"] for asset in body["assets"]} == {"thumbnail"}
    assert body["model_url"] is None
    services.set_source_public(assets=Asset.objects.filter(pk=source.pk), public=True)
    body = anon_api.get(f"/api/artifacts/{artifact.pk}/").json()

    assert body["title"] == "Kylix"
    assert {asset["kind"] for asset in body["assets"]} == {"source", "thumbnail"}
    stored = next(asset for asset in body["assets"] if asset["kind"] == "source")
    assert stored["sha256"] == source.sha256
    assert stored["face_count"] is None  # counted by the intake job, not at upload
    assert stored["format"] == "glb" and stored["byte_size"] == source.byte_size
    assert body["thumbnail_url"] == f"http://testserver{thumbnail.file.url}"
    assert body["model_url"] == f"http://testserver{source.file.url}"
    assert [a["title"] for a in body["annotations"]] == ["Foot"]


def test_picks_agree_with_the_model_methods() -> None:
    artifact = make_artifact()
    first = make_source(artifact)
    make_thumbnail(first)
    newest = make_thumbnail(first)
    assets = list(artifact.assets.all())
    assert pick_thumbnail(assets) == artifact.thumbnail() == newest
    assert pick_web_model(assets) == artifact.web_model() == first


def test_artifact_list_needs_no_query_per_artifact(anon_api, django_assert_max_num_queries):
    for _ in range(5):
        make_thumbnail(make_source(make_artifact()))
    with django_assert_max_num_queries(6):
        response = anon_api.get("/api/artifacts/")
    assert response.json()["count"] == 5


def test_artifact_filters(anon_api) -> None:
    vase = make_artifact(title="Red-figure vase", classification="Ceramics", culture="Attic")
    mirror = make_artifact(title="Mirror", classification="Metalwork", culture="Etruscan")
    coin = make_artifact(object_number="NUM.7", title="Coin", classification="Coins")
    make_exhibition(mirror, vase, slug="grave-goods")

    def ids(**params) -> list[int]:
        return [a["id"] for a in anon_api.get("/api/artifacts/", params).json()["results"]]

    assert ids(q="vase") == [vase.pk]
    assert ids(q="etrusc") == [mirror.pk]
    assert ids(q="num.7") == [coin.pk]
    assert ids(classification="metalwork") == [mirror.pk]
    assert ids(exhibition="grave-goods") == [mirror.pk, vase.pk]  # exhibition order
    assert ids(exhibition="no-such-show") == []


def test_artifact_date_range_is_validated(curator_api) -> None:
    response = curator_api.post(
        "/api/artifacts/",
        {"object_number": "D.1", "title": "Bowl", "date_start_year": 200, "date_end_year": -100},
        format="json",
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert "date_end_year" in error["fields"]
    assert "before the earliest year" in error["message"]
    assert not Artifact.objects.filter(object_number="D.1").exists()


def test_partial_update_checks_the_range_against_stored_years(curator_api) -> None:
    artifact = make_artifact(date_start_year=-500, date_end_year=-400)
    response = curator_api.patch(
        f"/api/artifacts/{artifact.pk}/", {"date_end_year": -600}, format="json"
    )
    assert response.status_code == 400
    assert "date_end_year" in error_of(response)["fields"]
    ok = curator_api.patch(f"/api/artifacts/{artifact.pk}/", {"date_end_year": -450}, format="json")
    assert ok.status_code == 200


def test_missing_and_duplicate_fields_are_clear(curator_api) -> None:
    make_artifact(object_number="DUP.1")
    response = curator_api.post(
        "/api/artifacts/", {"object_number": "DUP.1", "status": "lost"}, format="json"
    )
    error = error_of(response)
    assert response.status_code == 400
    assert set(error["fields"]) == {"object_number", "title", "status"}


def test_malformed_json_is_a_json_error(curator_api) -> None:
    response = curator_api.generic(
        "POST", "/api/artifacts/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_delete_artifact_removes_assets_and_files(
    curator_api, media_root, django_capture_on_commit_callbacks
) -> None:
    artifact = make_artifact()
    make_thumbnail(make_source(artifact))
    assert len(stored_files(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = curator_api.delete(f"/api/artifacts/{artifact.pk}/")
    assert response.status_code == 204
    assert not Artifact.objects.exists() and not Asset.objects.exists()
    assert stored_files(media_root) == []


# --- uploads ---------------------------------------------------------------------------------


def post_file(client, artifact: Artifact, name: str, content: bytes):
    return client.post(
        f"/api/artifacts/{artifact.pk}/assets/", {"file": upload(name, content)}, format="multipart"
    )


def test_glb_upload_stores_source_and_runs_intake(
    curator_api, eager_celery, django_capture_on_commit_callbacks, media_root
) -> None:
    artifact = make_artifact()
    content = glb_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(curator_api, artifact, "amphora.glb", content)

    assert response.status_code == 201, response.content
    body = response.json()
    source = Asset.objects.get(pk=body["asset"]["id"])
    assert source.kind == "source" and source.format == "glb"
    assert source.sha256 == hashlib.sha256(content).hexdigest() == body["asset"]["sha256"]
    assert source.byte_size == len(content)
    assert (source.vertex_count, source.face_count) == (8, 12)
    assert source.file.read() == content  # stored untouched
    assert response["Location"] == f"/api/assets/{source.pk}/"
    job = Job.objects.get(pk=body["job_id"])
    assert (job.kind, job.status, job.progress) == ("intake", "done", 100), job.error
    assert job.input_asset == source
    thumbnail = artifact.thumbnail()
    assert thumbnail is not None and thumbnail.derived_from == source
    assert thumbnail.created_by_job == job and thumbnail.format == "png"
    lods = {asset.label: asset for asset in artifact.assets.filter(kind="lod")}
    assert set(lods) == {"thumb", "web"}
    assert all(lod.derived_from == source and lod.face_count == 12 for lod in lods.values())
    artifact.refresh_from_db()
    assert (artifact.height_m, artifact.width_m, artifact.depth_m) == (1.0, 1.0, 1.0)
    assert all(str(path).startswith(str(media_root)) for path in stored_files(media_root))


def test_corrupt_glb_is_kept_and_its_intake_job_fails_clearly(
    curator_api, eager_celery, django_capture_on_commit_callbacks
) -> None:
    artifact = make_artifact()
    content = b"glTF" + b"\x02\x00\x00\x00" + b"\xff" * 40
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(curator_api, artifact, "broken.glb", content)
    assert response.status_code == 201
    job = Job.objects.get(pk=response.json()["job_id"])
    assert job.status == "failed"
    assert job.error == "The GLB file is truncated (shorter than its header)."
    assert list(artifact.assets.values_list("kind", flat=True)) == ["source"]
    assert artifact.assets.get().file.read() == content


def test_glb_upload_queues_job_without_running_it(curator_api) -> None:
    response = post_file(curator_api, make_artifact(), "scan.glb", glb_bytes())
    assert response.status_code == 201
    assert Job.objects.get(pk=response.json()["job_id"]).status == "queued"


def test_image_upload_queues_the_image_intake(curator_api) -> None:
    response = post_file(curator_api, make_artifact(), "photo.png", png_bytes())
    assert response.status_code == 201
    assert Job.objects.get(pk=response.json()["job_id"]).status == "queued"  # a flat work (#20)
    assert response.json()["asset"]["format"] == "png"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.glb", png_bytes(), "The file is named .glb but its content is PNG."),
        ("scan.glb", b"", "The submitted file is empty."),
        ("notes.txt", b"just some words", "Unrecognised file format"),
    ],
    ids=["png-named-glb", "empty", "unknown-format"],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    curator_api, media_root, name: str, content: bytes, message: str
) -> None:
    artifact = make_artifact()
    response = post_file(curator_api, artifact, name, content)
    assert response.status_code == 400
    error = error_of(response)
    assert message in error["message"]
    assert "file" in error["fields"]
    assert not Asset.objects.exists() and not Job.objects.exists()
    assert stored_files(media_root) == []


def test_upload_over_the_size_cap_is_refused(curator_api, settings, media_root) -> None:
    settings.MOUSEION_MAX_UPLOAD_BYTES = 100
    response = post_file(curator_api, make_artifact(), "scan.glb", glb_bytes())
    # Refused while the body is parsed (museum/uploads.py), before the file is stored.
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert "the limit is 100 bytes" in error_of(response)["message"]
    assert not Asset.objects.exists()
    assert stored_files(media_root) == []


def test_upload_without_a_file_is_refused(curator_api) -> None:
    response = curator_api.post(
        f"/api/artifacts/{make_artifact().pk}/assets/", {}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in error_of(response)["fields"]


def test_upload_to_a_missing_artifact_is_404(curator_api) -> None:
    response = curator_api.post(
        "/api/artifacts/999/assets/", {"file": upload("a.glb", glb_bytes())}, format="multipart"
    )
    assert response.status_code == 404


# --- source integrity ------------------------------------------------------------------------


def assert_source_unchanged(source: Asset, content: bytes) -> None:
    stored = Asset.objects.get(pk=source.pk)
    assert (stored.file.name, stored.sha256) == (source.file.name, source.sha256)
    with stored.file.open("rb") as handle:
        assert handle.read() == content


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(
    "body",
    [
        lambda: {"file": upload("other.glb", png_bytes(), "model/gltf-binary")},
        lambda: {"sha256": "0" * 64},
        lambda: {"file": upload("other.glb", glb_bytes()), "label": "web"},
    ],
    ids=["file", "sha256", "file-and-label"],
)
def test_source_file_cannot_be_replaced_through_the_api(curator_api, method, body) -> None:
    source = make_source(make_artifact())
    with source.file.open("rb") as handle:
        content = handle.read()
    payload = body()
    fmt = "multipart" if "file" in payload else "json"
    response = getattr(curator_api, method)(f"/api/assets/{source.pk}/", payload, format=fmt)

    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "source_immutable"
    assert "cannot be replaced" in error["message"]
    assert_source_unchanged(source, content)
    assert Asset.objects.get(pk=source.pk).label == ""


def test_source_cannot_be_deleted_through_the_api(curator_api) -> None:
    source = make_source(make_artifact())
    response = curator_api.delete(f"/api/assets/{source.pk}/")
    assert response.status_code == 409
    assert "cannot be deleted" in error_of(response)["message"]
    assert Asset.objects.filter(pk=source.pk).exists()


def test_only_the_label_of_a_derived_asset_changes(curator_api) -> None:
    thumbnail = make_thumbnail(make_source(make_artifact()))
    refused = curator_api.patch(
        f"/api/assets/{thumbnail.pk}/", {"label": "x", "byte_size": 1}, format="json"
    )
    assert refused.status_code == 400
    assert set(error_of(refused)["fields"]) == {"byte_size"}
    unknown = curator_api.patch(f"/api/assets/{thumbnail.pk}/", {"colour": "red"}, format="json")
    assert unknown.status_code == 400
    ok = curator_api.patch(f"/api/assets/{thumbnail.pk}/", {"label": "card"}, format="json")
    assert ok.status_code == 200 and ok.json()["label"] == "card"
    thumbnail.refresh_from_db()
    assert thumbnail.label == "card"


def test_source_label_can_change(curator_api) -> None:
    source = make_source(make_artifact())
    response = curator_api.patch(f"/api/assets/{source.pk}/", {"label": "scan"}, format="json")
    assert response.status_code == 200
    source.refresh_from_db()
    assert source.label == "scan"


def test_deleting_a_derived_asset_deletes_its_file(
    curator_api, django_capture_on_commit_callbacks
) -> None:
    thumbnail = make_thumbnail(make_source(make_artifact()))
    path = Path(thumbnail.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        response = curator_api.delete(f"/api/assets/{thumbnail.pk}/")
    assert response.status_code == 204
    assert not path.exists()


# --- annotations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [[1, 2], [1, 2, 3, 4], ["1", 2, 3], [1, True, 3], "1,2,3", None, {"x": 1}],
    ids=["short", "long", "string-item", "bool-item", "string", "null", "object"],
)
def test_annotation_vectors_must_be_three_numbers(curator_api, position) -> None:
    artifact = make_artifact()
    body = {
        "artifact": artifact.pk,
        "title": "Chip",
        "position": position,
        "camera_position": [0, 0, 1],
        "camera_target": [0, 0, 0],
    }
    response = curator_api.post("/api/annotations/", body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert set(error["fields"]) == {"position"}
    assert "three finite numbers" in error["message"] or "null" in error["message"]


def test_annotation_vectors_reject_non_finite_json(curator_api) -> None:
    annotation = make_annotation(make_artifact())
    response = curator_api.generic(
        "PATCH",
        f"/api/annotations/{annotation.pk}/",
        '{"normal": [0, Infinity, 0]}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_vector_field_rejects_non_finite_numbers(value: float) -> None:
    field = Vector3Field()
    with pytest.raises(ValidationError, match="three finite numbers"):
        field.run_validation([0.0, value, 0.0])
    assert field.run_validation([0, 1, 2.5]) == [0.0, 1.0, 2.5]


def test_annotation_crud_and_filter(curator_api, anon_api) -> None:
    first, second = make_artifact(), make_artifact()
    make_annotation(second, title="Other")
    created = curator_api.post(
        "/api/annotations/",
        {
            "artifact": first.pk,
            "title": "Rim",
            "position": [0.1, 0.2, 0.3],
            "normal": [],
            "camera_position": [0, 0, 2],
            "camera_target": [0, 0, 0],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    listed = anon_api.get("/api/annotations/", {"artifact": first.pk}).json()["results"]
    assert [a["title"] for a in listed] == ["Rim"]
    assert listed[0]["position"] == [0.1, 0.2, 0.3]
    bad = anon_api.get("/api/annotations/", {"artifact": "one"})
    assert bad.status_code == 400 and "artifact" in error_of(bad)["fields"]


# --- exhibitions -----------------------------------------------------------------------------


def test_exhibition_items_follow_artifact_ids(curator_api, anon_api, curator) -> None:
    a, b, c = make_artifact(title="A"), make_artifact(title="B"), make_artifact(title="C")
    make_thumbnail(make_source(b))
    created = curator_api.post(
        "/api/exhibitions/",
        {
            "title": "Alphabet",
            "slug": "alphabet",
            "status": "published",
            "artifact_ids": [c.pk, a.pk, b.pk],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["created_by"] == curator.pk
    assert [item["title"] for item in created.json()["items"]] == ["C", "A", "B"]

    items = anon_api.get("/api/exhibitions/alphabet/").json()["items"]
    assert [(i["artifact"], i["order"]) for i in items] == [(c.pk, 0), (a.pk, 1), (b.pk, 2)]
    assert items[2]["thumbnail_url"].endswith(".png") and items[0]["thumbnail_url"] is None

    updated = curator_api.patch(
        "/api/exhibitions/alphabet/", {"artifact_ids": [b.pk, a.pk]}, format="json"
    )
    assert [item["title"] for item in updated.json()["items"]] == ["B", "A"]
    assert ExhibitionItem.objects.filter(exhibition__slug="alphabet").count() == 2


def test_exhibition_update_without_ids_keeps_items(curator_api) -> None:
    artifact = make_artifact()
    exhibition = make_exhibition(artifact, slug="keep")
    ExhibitionItem.objects.filter(exhibition=exhibition).update(label_text="Curated label")
    response = curator_api.patch("/api/exhibitions/keep/", {"title": "Kept"}, format="json")
    assert response.status_code == 200
    assert response.json()["items"][0]["label_text"] == "Curated label"


@pytest.mark.parametrize(
    ("ids", "message"),
    [(lambda a: [a.pk, a.pk], "listed twice"), (lambda a: [a.pk, 99999], "Invalid pk")],
    ids=["duplicate", "unknown"],
)
def test_exhibition_artifact_ids_are_validated(curator_api, ids, message) -> None:
    artifact = make_artifact()
    response = curator_api.post(
        "/api/exhibitions/",
        {"title": "Bad", "slug": "bad", "artifact_ids": ids(artifact)},
        format="json",
    )
    assert response.status_code == 400
    error = error_of(response)
    assert "artifact_ids" in error["fields"] and message in error["message"]


def test_exhibition_slug_must_be_unique_and_valid(curator_api) -> None:
    make_exhibition(slug="taken")
    taken = curator_api.post("/api/exhibitions/", {"title": "T", "slug": "taken"}, format="json")
    assert taken.status_code == 400 and "slug" in error_of(taken)["fields"]
    invalid = curator_api.post("/api/exhibitions/", {"title": "T", "slug": "a b"}, format="json")
    assert invalid.status_code == 400 and "slug" in error_of(invalid)["fields"]


# --- schema and docs -------------------------------------------------------------------------


def test_openapi_schema_lists_the_api(anon_api) -> None:
    response = anon_api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    for path in (
        "/api/artifacts/",
        "/api/artifacts/{id}/",
        "/api/artifacts/{artifact_pk}/assets/",
        "/api/assets/{id}/",
        "/api/annotations/",
        "/api/exhibitions/{slug}/",
        "/api/jobs/{id}/",
    ):
        assert path in schema["paths"], path
    upload_body = schema["paths"]["/api/artifacts/{artifact_pk}/assets/"]["post"]["requestBody"]
    assert list(upload_body["content"]) == ["multipart/form-data"]


def test_schema_generates_without_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, (
        "schema warnings (add ENUM_NAME_OVERRIDES for PublicationStatus and Job.Status to "
        f"SPECTACULAR_SETTINGS): {list(GENERATOR_STATS._warn_cache)}"
    )
    assert not GENERATOR_STATS._error_cache


def test_swagger_docs_use_only_local_static_files(anon_api) -> None:
    response = anon_api.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r"(?:src|href)=[\"'](?:https?:)?//[^\"']*", html) == []
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
