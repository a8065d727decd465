"""Search finds what is written about an object (labels, descriptions, points of interest), knows
the museum's aliases (Venus / Aphrodite), and its hint suggests only queries that find something
(issue #22, item 6). Uses the hashing encoder (tests/conftest.py): keyword matching decides."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from exhibits.collection import services
from exhibits.curation import embedding_store, search_index
from exhibits.curation.search import Document, SearchIndex, query_tokens
from exhibits.demo.content import DEMO_ARTIFACTS, EXHIBITION, EXHIBITION_LABELS
from exhibits.models import (
    Annotation,
    Artifact,
    Asset,
    Exhibition,
    Job,
    PublicationStatus,
    SearchIndexSnapshot,
)
from tests.unit.factories import make_source, make_thumbnail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index():
    embedding_store.invalidate_index()
    yield
    embedding_store.invalidate_index()


@pytest.fixture
def demo() -> dict[str, Artifact]:
    """The demo's records, exhibition and wall labels (exhibits/demo), without the scans."""
    artifacts = {}
    for demo in DEMO_ARTIFACTS:
        record = dict(demo.record)
        artifacts[record["object_number"]] = Artifact.objects.create(
            **record, status=PublicationStatus.PUBLISHED
        )
        for order, note in enumerate(demo.annotations):
            Annotation.objects.create(
                artifact=artifacts[record["object_number"]],
                title=note.title,
                text=note.text,
                order=order,
                position=[0, 0, 0],
                camera_position=[0, 0, 1],
                camera_target=[0, 0, 0],
            )
    exhibition = Exhibition.objects.create(
        slug=EXHIBITION["slug"],
        title=EXHIBITION["title"],
        introduction=EXHIBITION["introduction"],
        status=PublicationStatus.PUBLISHED,
    )
    services.set_exhibition_items(exhibition=exhibition, artifacts=list(artifacts.values()))
    for item in exhibition.items.select_related("artifact"):
        item.label_text = EXHIBITION_LABELS[item.artifact.object_number]
        item.save()
    search_index.rebuild_search_index()
    return artifacts


def titles(client, query: str) -> list[str]:
    response = client.get("/api/search", {"q": query})
    assert response.status_code == 200
    return [result["title"] for result in response.json()["results"]]


@pytest.mark.parametrize("query", ["goddess", "aphrodite", "Aphrodite", "venus"])
def test_the_venus_is_found_by_what_her_label_calls_her(client, demo, query) -> None:
    assert titles(client, query)[0] == "Venus de Milo (plaster cast)"


def test_descriptions_and_points_of_interest_are_searched(client, demo) -> None:
    assert titles(client, "louvre") == ["Venus de Milo (plaster cast)"]  # the description
    assert titles(client, "himation") == ["Venus de Milo (plaster cast)"]  # a point of interest
    assert titles(client, "bebop")[0] == "Charlie Parker's alto saxophone"


def test_labels_of_draft_exhibitions_are_not_searched(client, demo) -> None:
    Exhibition.objects.update(status=PublicationStatus.DRAFT)
    search_index.rebuild_search_index()
    assert titles(client, "goddess") == []


def test_a_label_edit_asks_for_a_rebuild(demo, django_capture_on_commit_callbacks) -> None:
    Job.objects.filter(kind=search_index.INDEX_KIND).delete()
    item = Exhibition.objects.get().items.first()
    with django_capture_on_commit_callbacks(execute=True):
        item.label_text = "A new label about a sea monster"
        item.save()
    assert Job.objects.filter(kind=search_index.INDEX_KIND, status=Job.Status.QUEUED).exists()


def test_aliases_go_both_ways_and_stay_small() -> None:
    assert query_tokens("Aphrodite") == ["aphrodite", "venus"]
    assert query_tokens("venus statue") == ["venus", "aphrodite", "statue", "sculpture"]
    assert query_tokens("saxophone") == ["saxophone"]


def test_an_older_snapshot_is_served_as_keyword_fallback_not_an_error(client, demo) -> None:
    """A snapshot stored by an older release (another payload format) is not an error: the
    keyword fallback serves, with the attached texts, until the rebuild it asks for lands."""
    snapshot = SearchIndexSnapshot.objects.get()
    with np.load(io.BytesIO(bytes(snapshot.payload))) as arrays:
        parts = {name: arrays[name] for name in arrays.files}
    meta = json.loads(parts["meta"].tobytes())
    meta["format"] = 1
    parts["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **parts)
    snapshot.payload = buffer.getvalue()
    snapshot.save()
    embedding_store.invalidate_index()
    assert titles(client, "goddess")[0] == "Venus de Milo (plaster cast)"


def test_hint_suggests_only_queries_with_results(client, demo) -> None:
    request = RequestFactory().get("/")
    html = render_to_string("includes/search_box.html", {}, request=request)
    examples = embedding_store.search_index().example_queries(2)
    assert len(examples) == 2
    for example in examples:
        assert f"“{example}”" in html
        assert titles(client, example), f"the hint's {example!r} finds nothing"
    assert "bronze helmet" not in html and "sword guard" not in html


def test_example_queries_skip_drafts_and_cover_different_objects() -> None:
    index = SearchIndex(
        [
            Document(1, "A", "Helmet", "helmet", classification="Arms", materials="bronze"),
            Document(2, "B", "Sword", "sword", classification="Arms", materials="bronze"),
            Document(3, "C", "Secret", "secret", classification="Hidden", published=False),
        ]
    )
    # "arms" and "bronze" find the same two objects: one of them is enough.
    assert index.example_queries(2) == ["arms"]
    assert "hidden" not in index.example_queries(5)


def test_results_carry_thumbnails_of_published_objects_only(client, demo) -> None:
    venus = demo["SMK-CAST-VENUS-DE-MILO"]
    asset = make_thumbnail(make_source(venus))
    assert asset.kind == Asset.Kind.THUMBNAIL
    result = client.get("/api/search", {"q": "venus"}).json()["results"][0]
    assert result["thumbnail"] == asset.file.url
    page = client.get("/search/", {"q": "venus"}).content.decode()
    assert f'class="search-results__thumb" src="{asset.file.url}"' in page
