"""Collection search: relevance, facets, filters, visibility, "more like this", the page and
the includes. Uses the hashing encoder (tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
from django.template.loader import render_to_string

from exhibits.curation import embedding_store, search_index
from exhibits.curation.search import Document, SearchIndex, century, material_tokens
from exhibits.models import Job
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_index():
    embedding_store.invalidate_index()
    yield
    embedding_store.invalidate_index()


@pytest.fixture
def collection() -> dict:
    """Five artifacts, indexed as the worker's job would (search_index)."""
    artifacts = {
        "helmet": make_artifact(
            title="Corinthian Helmet",
            object_name="helmets",
            classification="Arms & Armor",
            culture="Greek",
            materials="bronze",
            date_start_year=-625,
            date_end_year=-575,
        ),
        "mirror": make_artifact(
            title="Mirror with Handle",
            object_name="mirrors",
            classification="Metal",
            culture="Egyptian",
            materials="bronze",
            date_start_year=-1400,
        ),
        "ring": make_artifact(
            title="Gold Signet Ring",
            object_name="finger rings",
            classification="Gold, Silver & Jewelry",
            culture="Roman",
            materials="gold",
            date_start_year=201,
        ),
        "tsuba": make_artifact(
            title="Tsuba with Waves",
            object_name="tsubas; sword components",
            classification="Arms & Armor",
            culture="Japanese",
            materials="iron and gold inlay",
            date_start_year=1801,
        ),
        "draft": make_artifact(
            published=False,
            title="Bronze Helmet Fragment",
            classification="Arms & Armor",
            culture="Greek",
            materials="bronze",
            date_start_year=-550,
        ),
    }
    search_index.rebuild_search_index()
    return artifacts


def test_century_and_material_tokens() -> None:
    assert [century(y) for y in (1544, 1500, 1, 0, -1, -100, -101, -1479)] == [
        16,
        15,
        1,
        1,
        -1,
        -1,
        -2,
        -15,
    ]
    assert century(None) is None
    assert material_tokens("carved yellow jasper and gold") == ["jasper", "gold"]
    assert material_tokens("ink and pigments on laid paper") == ["ink", "pigments", "laid paper"]
    assert material_tokens("gilt on silver") == ["silver"]


def test_core_blends_keyword_and_semantic_scores() -> None:
    docs = [
        Document(1, "A", "Bronze helmet", "bronze helmet"),
        Document(2, "B", "Gold ring", "gold ring"),
        Document(3, "C", "Helmet", "helmet of iron"),
    ]
    vectors = np.array([[1, 0], [0, 1], [0.8, 0.6]], dtype=np.float32)
    index = SearchIndex(docs, vectors, lambda q: np.array([1, 0], np.float32), min_similarity=0.5)
    result = index.search("bronze helmet")
    assert [hit.document.id for hit in result.hits] == [1, 3]
    assert result.hits[0].score == pytest.approx(1.0)
    assert result.mode == "semantic+keyword"
    keyword_only = SearchIndex(docs).search("ring")
    assert keyword_only.mode == "keyword" and [h.document.id for h in keyword_only.hits] == [2]


def test_bronze_helmet_ranks_the_helmet_first(anon_api, collection) -> None:
    response = anon_api.get("/api/search", {"q": "bronze helmet"})
    assert response.status_code == 200
    data = response.json()
    assert data["results"][0]["id"] == collection["helmet"].pk
    assert data["results"][0]["url"] == f"/artifacts/{collection['helmet'].pk}/"
    assert data["mode"] == "semantic+keyword" and data["encoder"].startswith("hashing")
    ids = [r["id"] for r in data["results"]]
    assert collection["draft"].pk not in ids  # anonymous visitors never see drafts
    assert collection["ring"].pk not in ids


def test_facets_count_the_matches(anon_api, collection) -> None:
    data = anon_api.get("/api/search", {"q": "bronze"}).json()
    assert data["count"] == 2
    facets = {
        name: {f["value"]: f["count"] for f in items} for name, items in data["facets"].items()
    }
    assert facets["classification"] == {"Arms & Armor": 1, "Metal": 1}
    assert facets["culture"] == {"Greek": 1, "Egyptian": 1}
    assert facets["century"] == {-7: 1, -14: 1}
    assert facets["material"] == {"bronze": 2}
    labels = {f["value"]: f["label"] for f in data["facets"]["century"]}
    assert labels[-7] == "7th century BCE"
    browse = anon_api.get("/api/search").json()
    assert browse["count"] == 4
    materials = {f["value"]: f["count"] for f in browse["facets"]["material"]}
    assert materials == {"bronze": 2, "gold": 2, "iron": 1}


def test_filters(anon_api, collection) -> None:
    def ids(**params: str) -> set[int]:
        return {r["id"] for r in anon_api.get("/api/search", params).json()["results"]}

    assert ids(classification="arms & armor") == {collection["helmet"].pk, collection["tsuba"].pk}
    assert ids(century="-7") == {collection["helmet"].pk}
    assert ids(century="19", material="gold") == {collection["tsuba"].pk}
    assert ids(q="helmet", culture="Egyptian") == set()
    assert anon_api.get("/api/search", {"century": "x"}).status_code == 400
    assert anon_api.get("/api/search", {"century": "0"}).status_code == 400
    assert anon_api.get("/api/search", {"page": "0"}).status_code == 400


def test_curators_see_drafts(api_client_for, collection) -> None:
    data = api_client_for("curator").get("/api/search", {"q": "bronze helmet"}).json()
    draft = next(r for r in data["results"] if r["id"] == collection["draft"].pk)
    assert draft["published"] is False and draft["url"] is None


def test_pagination(anon_api, collection) -> None:
    first = anon_api.get("/api/search", {"page_size": 3}).json()
    second = anon_api.get("/api/search", {"page_size": 3, "page": 2}).json()
    assert (first["count"], first["num_pages"], len(first["results"])) == (4, 2, 3)
    assert len(second["results"]) == 1


def test_index_follows_changes(anon_api, collection, django_capture_on_commit_callbacks) -> None:
    """An edit queues the rebuild job; requests serve the index they have until it ran."""
    assert anon_api.get("/api/search", {"q": "scarab"}).json()["count"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        make_artifact(title="Scarab of Amenhotep", materials="steatite")
    assert anon_api.get("/api/search", {"q": "scarab"}).json()["count"] == 0  # not yet rebuilt
    run_queued_index_jobs()
    assert anon_api.get("/api/search", {"q": "scarab"}).json()["count"] == 1
    collection["draft"].status = "published"
    with django_capture_on_commit_callbacks(execute=True):
        collection["draft"].save()
    run_queued_index_jobs()
    data = anon_api.get("/api/search", {"q": "fragment"}).json()
    assert [r["id"] for r in data["results"]] == [collection["draft"].pk]


def run_queued_index_jobs() -> None:
    """What the worker does with the queued search-index jobs."""
    queued = Job.objects.filter(kind=search_index.INDEX_KIND, status=Job.Status.QUEUED)
    assert queued.exists()
    for job in queued:
        assert search_index.run_index_job(job_id=job.pk).status == Job.Status.DONE


def test_similar_endpoint(anon_api, api_client_for, collection) -> None:
    helmet = collection["helmet"]
    response = anon_api.get(f"/api/artifacts/{helmet.pk}/similar/", {"k": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    ids = [r["id"] for r in results]
    assert len(ids) == 3 and helmet.pk not in ids and collection["draft"].pk not in ids
    assert results == sorted(results, key=lambda r: -r["score"])
    draft = collection["draft"].pk
    assert anon_api.get(f"/api/artifacts/{draft}/similar/").status_code == 404
    assert api_client_for("curator").get(f"/api/artifacts/{draft}/similar/").status_code == 200
    assert anon_api.get("/api/artifacts/999999/similar/").status_code == 404


def test_similar_before_the_index_knows_the_artifact(anon_api, api_client_for, collection) -> None:
    """A visible artifact the index has not taken in yet has no neighbours (200, `indexed`
    false), not a 404; one the asker may not see stays a 404 whether indexed or not."""
    fresh = make_artifact(title="Scarab of Amenhotep", materials="steatite")
    response = anon_api.get(f"/api/artifacts/{fresh.pk}/similar/")
    assert response.status_code == 200, response.content
    assert response.json()["indexed"] is False and response.json()["results"] == []
    helmet = anon_api.get(f"/api/artifacts/{collection['helmet'].pk}/similar/").json()
    assert helmet["indexed"] is True and helmet["results"]
    hidden = make_artifact(title="Unpublished scarab", published=False)
    assert anon_api.get(f"/api/artifacts/{hidden.pk}/similar/").status_code == 404
    assert api_client_for("curator").get(f"/api/artifacts/{hidden.pk}/similar/").status_code == 200


def test_results_page_works_without_javascript(client, collection) -> None:
    page = client.get("/search/", {"q": "bronze helmet"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Corinthian Helmet" in html and "Bronze Helmet Fragment" not in html
    assert "?q=bronze+helmet&amp;classification=Arms+%26+Armor" in html  # a facet link
    assert 'role="search"' in html and "data-search-api" not in html
    like = client.get("/search/", {"like": collection["helmet"].pk})
    assert like.status_code == 200 and "Objects like" in like.content.decode()
    assert client.get("/search/", {"like": collection["draft"].pk}).status_code == 404
    assert client.get("/search/").status_code == 200


def test_includes_are_accessible(collection) -> None:
    box = render_to_string("includes/search_box.html")
    assert '<label class="search-box__label" for="search-q">' in box
    assert 'id="search-q"' in box and 'role="status" aria-live="polite"' in box
    assert 'data-search-api="/api/search"' in box and 'action="/search/"' in box
    more = render_to_string("includes/more_like_this.html", {"artifact": collection["helmet"]})
    assert f'data-similar-url="/api/artifacts/{collection["helmet"].pk}/similar/"' in more
    assert f'href="/search/?like={collection["helmet"].pk}"' in more
