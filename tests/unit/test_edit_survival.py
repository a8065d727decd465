"""Every curator's or educator's edit survives (issue #16): restarts (demo seeding), reordering,
intake, tag acceptance and re-import never overwrite what a person wrote.

Each data-integrity test is one edit-survival case (EDIT_SURVIVAL_CASES counts them, and a test
checks the count, so the closing note's figure is the suite's). Every case first makes the
person's edit, then runs the operation that used to lose it, then checks the edit is intact."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import RequestFactory

from exhibits.collection import services
from exhibits.curation import services as curation_services
from exhibits.curation.admin import suggest_exhibitions_action
from exhibits.demo.content import EXHIBITION
from exhibits.intake.services import INTAKE_KIND, run_intake_job
from exhibits.models import (
    Artifact,
    DimensionsSource,
    Exhibition,
    ExhibitionItem,
    Job,
    PublicationStatus,
    TagSuggestion,
    TextStatus,
)
from museum.models import Floor, Room, Tour, TourStop
from tests.unit.factories import make_artifact, make_exhibition, make_source

pytestmark = pytest.mark.django_db

# One name per edit-survival case; a test below checks each name has its test.
EDIT_SURVIVAL_CASES = (
    "seed_demo_keeps_passwords_and_content",
    "seed_floor_plan_keeps_placements",
    "seed_demo_tour_keeps_stops",
    "reorder_keeps_rooms_translations_and_text_status",
    "tag_acceptance_keeps_a_classification_set_since",
    "intake_keeps_dimensions_entered_through_the_api",
    "intake_keeps_dimensions_entered_in_the_admin",
    "reimport_keeps_edited_fields_and_reports_them",
    "reimport_keeps_values_of_artifacts_made_by_hand",
    "reimport_command_keeps_edited_fields_and_reports_them",
)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- 1. seeding runs once ------------------------------------------------------------------


def test_seed_demo_keeps_passwords_and_content() -> None:
    """A restart (`make run` -> seed_demo) on a museum with content changes nothing."""
    user = get_user_model().objects.create_user("curator", password="the-curators-own-1")
    artifact = make_artifact(title="Retitled by the curator")
    exhibition = make_exhibition(artifact, slug=EXHIBITION["slug"], published=False)
    output = run("seed_demo")
    assert "already has content" in output and "password:" not in output
    user.refresh_from_db()
    assert user.check_password("the-curators-own-1")
    exhibition.refresh_from_db()
    assert exhibition.status == PublicationStatus.DRAFT  # not republished
    assert list(Artifact.objects.values_list("title", flat=True)) == ["Retitled by the curator"]


def test_seed_floor_plan_keeps_placements() -> None:
    exhibition = make_exhibition(make_artifact(), slug=EXHIBITION["slug"])
    run("seed_floor_plan")
    item = exhibition.items.get()
    moved = Room.objects.get(code="g3")
    item.room = moved
    item.save(update_fields=["room"])
    Room.objects.filter(code="g1").update(name="Renamed by the curator")
    output = run("seed_floor_plan")
    assert "nothing changed" in output
    item.refresh_from_db()
    assert item.room == moved
    assert Room.objects.get(code="g1").name == "Renamed by the curator"
    # --reset is the explicit way back to the demo.
    run("seed_floor_plan", "--reset")
    item.refresh_from_db()
    assert item.room is not None and item.room.code == "g1"
    assert Floor.objects.count() == 1


def test_seed_demo_tour_keeps_stops(educator) -> None:
    get_user_model().objects.filter(pk=educator.pk).update(username="educator")
    make_exhibition(make_artifact(), make_artifact(), slug=EXHIBITION["slug"])
    run("seed_demo_tour")
    tour = Tour.objects.get()
    stop = tour.stops.order_by("order").first()
    assert stop is not None
    stop.narration = "The educator's own words."
    stop.save(update_fields=["narration"])
    ids = set(tour.stops.values_list("pk", flat=True))
    output = run("seed_demo_tour")
    assert "nothing changed" in output
    assert set(tour.stops.values_list("pk", flat=True)) == ids
    assert TourStop.objects.get(pk=stop.pk).narration == "The educator's own words."
    run("seed_demo_tour", "--reset")
    assert not TourStop.objects.filter(pk=stop.pk).exists()
    assert tour.stops.count() == 2


# --- 2. reordering keeps the items ---------------------------------------------------------


def curated_exhibition() -> tuple:
    """Three items, each with a room, a French label and a generated (unreviewed) label."""
    floor = Floor.objects.create(name="First", level=1)
    artifacts = [make_artifact() for _ in range(3)]
    exhibition = make_exhibition(*artifacts, slug="curated")
    for index, item in enumerate(exhibition.items.order_by("order")):
        item.room = Room.objects.create(floor=floor, code=f"r{index}", name=f"Room {index}")
        item.label_text = f"Label {index}"
        item.label_translations = {"fr": f"Cartel {index}"}
        item.label_status = TextStatus.GENERATED
        item.save()
    return exhibition, artifacts


def item_state(item: ExhibitionItem) -> tuple:
    return (item.pk, item.room_id, item.label_text, item.label_translations, item.label_status)


def test_reorder_keeps_rooms_translations_and_text_status(curator_api) -> None:
    exhibition, (a, b, c) = curated_exhibition()
    before = {item.artifact_id: item_state(item) for item in exhibition.items.all()}
    d = make_artifact()
    response = curator_api.patch(
        f"/api/exhibitions/{exhibition.slug}/",
        {"artifact_ids": [c.pk, a.pk, d.pk]},
        format="json",
    )
    assert response.status_code == 200, response.content
    items = list(exhibition.items.order_by("order"))
    assert [item.artifact_id for item in items] == [c.pk, a.pk, d.pk]
    assert [item.order for item in items] == [0, 1, 2]
    assert item_state(items[0]) == before[c.pk]  # same row, room, labels and status
    assert item_state(items[1]) == before[a.pk]
    assert items[2].label_text == "" and items[2].room is None  # the new one is new
    assert not exhibition.items.filter(artifact=b).exists()  # the unlisted one is removed


@pytest.mark.parametrize("ids", ["twice", "unknown", "not-a-list"])
def test_bad_reorder_is_refused_and_loses_nothing(curator_api, ids: str) -> None:
    exhibition, (a, b, _c) = curated_exhibition()
    before = sorted(item_state(item) for item in exhibition.items.all())
    body = {
        "twice": [a.pk, a.pk, b.pk],
        "unknown": [a.pk, 999_999],
        "not-a-list": "a, b",
    }[ids]
    response = curator_api.patch(
        f"/api/exhibitions/{exhibition.slug}/", {"artifact_ids": body}, format="json"
    )
    assert response.status_code == 400
    assert "artifact_ids" in response.json()["error"]["fields"]
    assert sorted(item_state(item) for item in exhibition.items.all()) == before


def test_the_reorder_service_refuses_a_duplicate() -> None:
    exhibition, (a, b, _c) = curated_exhibition()
    before = sorted(item_state(item) for item in exhibition.items.all())
    with pytest.raises(ValidationError, match="twice"):
        services.set_exhibition_items(exhibition=exhibition, artifacts=[a, b, a])
    assert sorted(item_state(item) for item in exhibition.items.all()) == before


# --- 3. intake measures dimensions, a person's win ------------------------------------------


def run_intake(artifact: Artifact) -> None:
    source = make_source(artifact)
    job = Job.objects.create(kind=INTAKE_KIND, artifact=artifact, input_asset=source)
    assert run_intake_job(job_id=job.pk).status == Job.Status.DONE


def dimensions(artifact: Artifact) -> tuple:
    artifact.refresh_from_db()
    return (artifact.height_m, artifact.width_m, artifact.depth_m, artifact.dimensions_source)


def test_intake_measures_dimensions_nobody_entered() -> None:
    artifact = make_artifact()
    run_intake(artifact)
    height, width, depth, source = dimensions(artifact)
    assert height and width and depth and source == DimensionsSource.MEASURED


def test_intake_keeps_dimensions_entered_through_the_api(curator_api) -> None:
    artifact = make_artifact()
    run_intake(artifact)  # measured first...
    response = curator_api.patch(
        f"/api/artifacts/{artifact.pk}/",
        {"height_m": 0.42, "width_m": 0.3, "depth_m": 0.2},
        format="json",
    )
    assert response.status_code == 200, response.content
    run_intake(artifact)  # ...then a new scan is taken in
    assert dimensions(artifact) == (0.42, 0.3, 0.2, DimensionsSource.PERSON)


def test_intake_keeps_dimensions_entered_in_the_admin(client, curator) -> None:
    artifact = make_artifact()
    client.force_login(curator)
    form = client.get(f"/admin/exhibits/artifact/{artifact.pk}/change/").context["adminform"]
    data = {
        name: value
        for name, value in form.form.initial.items()
        if value is not None and name in form.form.fields
    }
    data |= {"height_m": "1.25", "width_m": "", "depth_m": ""}
    for prefix in ("annotations", "assets", "jobs"):
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    response = client.post(f"/admin/exhibits/artifact/{artifact.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert dimensions(artifact) == (1.25, None, None, DimensionsSource.PERSON)
    run_intake(artifact)
    assert dimensions(artifact) == (1.25, None, None, DimensionsSource.PERSON)


# --- 4. accepting a tag suggestion ---------------------------------------------------------

SUGGESTIONS_ADMIN = "/admin/exhibits/tagsuggestion/"


def test_tag_acceptance_keeps_a_classification_set_since(client, curator) -> None:
    artifact = make_artifact(title="Bowl")  # no classification: the suggester offers one
    suggestion = TagSuggestion.objects.create(
        artifact=artifact, field="classification", value="Ceramics", confidence=0.9
    )
    Artifact.objects.filter(pk=artifact.pk).update(classification="Metalwork")  # a person, since
    client.force_login(curator)
    response = client.post(
        SUGGESTIONS_ADMIN,
        {"action": "accept_suggestions", "_selected_action": [suggestion.pk]},
        follow=True,
    )
    artifact.refresh_from_db()
    suggestion.refresh_from_db()
    assert artifact.classification == "Metalwork"
    assert suggestion.status == TagSuggestion.Status.PENDING and suggestion.decided_by is None
    said = [str(m) for m in response.context["messages"]]
    assert any("Metalwork" in m and "Ceramics" in m and "kept" in m for m in said), said
    # The service says so too, with a stable code.
    with pytest.raises(curation_services.TagConflict) as raised:
        curation_services.accept_tag_suggestion(suggestion=suggestion, user=curator)
    assert raised.value.code == "conflict"
    # Once the person clears it, the suggestion can be accepted.
    Artifact.objects.filter(pk=artifact.pk).update(classification="")
    curation_services.accept_tag_suggestion(suggestion=suggestion, user=curator)
    artifact.refresh_from_db()
    assert artifact.classification == "Ceramics"


# --- 5. re-import keeps what a person edited -------------------------------------------------

CSV_HEADER = "accession_number,title,culture_or_nationality,medium\n"


def csv(*rows: str) -> bytes:
    return (CSV_HEADER + "".join(f"{row}\n" for row in rows)).encode()


def test_reimport_keeps_edited_fields_and_reports_them() -> None:
    first = csv("R.1,Helmet,Greek,bronze", "R.2,Cup,Roman,silver")
    curation_services.import_collection(data=first, update_embeddings=False)
    Artifact.objects.filter(object_number="R.1").update(title="Corinthian helmet")  # a person
    again = csv("R.1,Helmet (bronze),Greek (Corinthian),bronze", "R.2,Cup,Roman,silver")
    report = curation_services.import_collection(data=again, update_embeddings=False)
    helmet = Artifact.objects.get(object_number="R.1")
    assert helmet.title == "Corinthian helmet"  # the person's value is kept
    assert helmet.culture == "Greek (Corinthian)"  # an unedited field follows the file
    assert [(c.object_number, c.field, c.current, c.imported) for c in report.conflicts] == [
        ("R.1", "title", "Corinthian helmet", "Helmet (bronze)")
    ]
    assert report.as_dict()["conflicts"][0]["field"] == "title"
    # The same file again: still kept, still reported; nothing else changes.
    report = curation_services.import_collection(data=again, update_embeddings=False)
    assert len(report.conflicts) == 1 and report.updated == 0
    assert Artifact.objects.get(object_number="R.1").title == "Corinthian helmet"
    # Told explicitly, the file wins, and the conflict is listed as overwritten.
    report = curation_services.import_collection(
        data=again, update_embeddings=False, overwrite_edited=True
    )
    assert report.overwrote_edited and len(report.conflicts) == 1
    assert Artifact.objects.get(object_number="R.1").title == "Helmet (bronze)"


def test_reimport_keeps_values_of_artifacts_made_by_hand() -> None:
    """An artifact a person catalogued (no import record) keeps its filled-in fields."""
    make_artifact(object_number="R.9", title="Catalogued by hand", culture="")
    report = curation_services.import_collection(
        data=csv("R.9,Imported title,Etruscan,clay"), update_embeddings=False
    )
    artifact = Artifact.objects.get(object_number="R.9")
    assert artifact.title == "Catalogued by hand"
    assert (artifact.culture, artifact.materials) == ("Etruscan", "clay")  # empty ones fill in
    assert [c.field for c in report.conflicts] == ["title"]


def test_reimport_command_keeps_edited_fields_and_reports_them(tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(csv("R.5,Vase,Attic,clay"))
    run("import_collection", str(path), "--no-embeddings")
    Artifact.objects.filter(object_number="R.5").update(materials="terracotta, slip")
    path.write_bytes(csv("R.5,Vase,Attic,earthenware"))
    output = run("import_collection", str(path), "--no-embeddings")
    assert Artifact.objects.get(object_number="R.5").materials == "terracotta, slip"
    assert "1 fields edited since the last import: kept" in output
    assert "R.5" in output and "materials" in output and "earthenware" in output
    output = run("import_collection", str(path), "--no-embeddings", "--json")
    assert '"conflicts"' in output and '"terracotta, slip"' in output
    output = run("import_collection", str(path), "--no-embeddings", "--overwrite-edited")
    assert "overwritten" in output
    assert Artifact.objects.get(object_number="R.5").materials == "earthenware"


# --- 6. the curator-only admin action ------------------------------------------------------

ARTIFACTS_ADMIN = "/admin/exhibits/artifact/"


def test_an_educator_cannot_suggest_exhibitions(client, educator) -> None:
    artifacts = [make_artifact(title=f"Vase {n}", materials="clay") for n in range(3)]
    client.force_login(educator)
    page = client.get(ARTIFACTS_ADMIN)
    assert page.status_code == 200  # educators may look at the collection...
    assert "suggest_exhibitions_action" not in page.content.decode()  # ...not suggest
    response = client.post(
        ARTIFACTS_ADMIN,
        {"action": "suggest_exhibitions_action", "_selected_action": [a.pk for a in artifacts]},
        follow=True,
    )
    assert response.status_code == 200
    assert not Exhibition.objects.exists()
    # Called directly (past the admin's action filter) it refuses too.
    request = RequestFactory().post(ARTIFACTS_ADMIN)
    request.user = educator
    said: list[str] = []
    model_admin = SimpleNamespace(
        message_user=lambda _r, message, _level=None: said.append(message)
    )
    suggest_exhibitions_action(model_admin, request, Artifact.objects.all())  # type: ignore[arg-type]
    assert not Exhibition.objects.exists() and "may not" in str(said[0])


def test_a_curator_sees_the_suggest_action(client, curator) -> None:
    make_artifact()
    client.force_login(curator)
    assert "suggest_exhibitions_action" in client.get(ARTIFACTS_ADMIN).content.decode()


def test_every_edit_survival_case_has_its_test() -> None:
    names = {name for name in globals() if name.startswith("test_")}
    missing = [case for case in EDIT_SURVIVAL_CASES if f"test_{case}" not in names]
    assert not missing
    assert len(EDIT_SURVIVAL_CASES) == len(set(EDIT_SURVIVAL_CASES))
