"""Suggested exhibitions end to end: draft with texts, curator edits kept, rooms built once."""

from __future__ import annotations

from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib import admin as django_admin
from django.core.management import call_command
from django.test import RequestFactory

from exhibits.collection import admin as exhibits_admin
from exhibits.curation import suggestions as services
from exhibits.curation.embeddings import HashingEncoder
from exhibits.models import Artifact, Exhibition, ExhibitionItem, PublicationStatus, TextStatus
from museum.building import services as building
from museum.models import Floor, Passage, Room
from tests.unit.factories import make_artifact

pytestmark = pytest.mark.django_db
ENCODER = HashingEncoder(dim=512)
GROUPS = {
    "helmet": ("Bronze helmet", "Etruscan", "Italia", "bronze", -480, "Arms & Armor"),
    "plaque": ("Ivory plaque", "Byzantine", "Konstantinoupolis", "ivory", 1001, "Ivory & Bone"),
    "tsuba": ("Tsuba with waves", "Japanese", "Nihon", "iron, sword guard", 1801, "Arms & Armor"),
}


@pytest.fixture
def collection() -> list[Artifact]:
    artifacts = []
    for title, culture, place, materials, year, classification in GROUPS.values():
        for number in range(4):
            artifacts.append(
                make_artifact(
                    title=f"{title} {'ABCD'[number]}",
                    culture=culture,
                    place_of_origin=place,
                    materials=materials,
                    date_start_year=year + number,
                    date_end_year=year + number + 20,
                    classification=classification,
                    credit_line="Acquired by Henry Walters, 1909",
                )
            )
    return artifacts


def suggest(artifacts: list[Artifact], **options: Any) -> Exhibition:
    values = {"rooms": 3, "per_room": 4, "seed": 1, "encoder": ENCODER, "institution": ""}
    return services.suggest_exhibition(artifacts=artifacts, **(values | options))


def test_a_suggestion_is_a_draft_with_explained_rooms_and_generated_texts(collection) -> None:
    exhibition = suggest(collection)
    assert exhibition.status == PublicationStatus.DRAFT
    assert exhibition.suggested_by.startswith("themes-v1")
    rooms = exhibition.explanation["rooms"]
    assert len(rooms) == 3 and exhibition.explanation["encoder"] == ENCODER.name
    titles = {a.pk: a.title.split()[0] for a in collection}
    for room in rooms:
        assert len(room["artifacts"]) == 4 and len({titles[a] for a in room["artifacts"]}) == 1
        assert room["terms"] and room["terms"][0]["count"] >= 2
        assert len(room["central"]) == 3 and len(room["neighbours"]) == 4
        assert room["ordered_by"] == "date"
    items = list(exhibition.items.order_by("order"))
    assert [i.artifact_id for i in items] == [a for room in rooms for a in room["artifacts"]]
    for item in items:
        assert item.label_status == TextStatus.GENERATED
        assert item.label_text.startswith(item.artifact.title)
        assert "Origine :" in item.label_translations["fr"]
    assert exhibition.introduction_status == TextStatus.GENERATED
    assert exhibition.introduction.startswith("This exhibition brings together 12 objects")
    assert "salles" in exhibition.introduction_translations["fr"]


def test_same_collection_same_seed_same_suggestion(collection) -> None:
    first, second = suggest(collection), suggest(collection)
    assert first.slug != second.slug
    assert first.explanation["rooms"] == second.explanation["rooms"]
    assert first.introduction == second.introduction


def test_regenerating_keeps_written_texts_and_approved_ones_unless_asked(collection) -> None:
    exhibition = suggest(collection)
    written, approved, *others = list(exhibition.items.order_by("order"))
    services.set_label(item=written, text="A curator's label.")
    services.set_label(item=written, text="Le cartel du conservateur.", lang="fr")
    services.set_introduction(exhibition=exhibition, text="Our introduction.")
    approved.label_status = TextStatus.APPROVED
    approved.label_text = "Reviewed."
    approved.save()
    ExhibitionItem.objects.filter(pk=others[0].pk).update(label_text="stale")

    services.generate_texts(exhibition=exhibition)
    written.refresh_from_db(), approved.refresh_from_db(), exhibition.refresh_from_db()
    assert (written.label_text, written.label_status) == ("A curator's label.", "written")
    assert written.label_translations["fr"] == "Le cartel du conservateur."
    assert approved.label_text == "Reviewed."
    assert (exhibition.introduction, exhibition.introduction_status) == (
        "Our introduction.",
        TextStatus.WRITTEN,
    )
    assert ExhibitionItem.objects.get(pk=others[0].pk).label_text != "stale"

    services.generate_texts(exhibition=exhibition, overwrite_approved=True)
    approved.refresh_from_db(), written.refresh_from_db()
    assert approved.label_text != "Reviewed." and approved.label_status == TextStatus.GENERATED
    assert written.label_text == "A curator's label."


def test_approving_marks_generated_texts_only(collection) -> None:
    exhibition = suggest(collection)
    first = exhibition.items.order_by("order").first()
    services.set_label(item=first, text="Mine.")
    assert services.approve_texts(exhibition=exhibition) == 11 + 1
    statuses = set(exhibition.items.exclude(pk=first.pk).values_list("label_status", flat=True))
    assert statuses == {TextStatus.APPROVED}
    first.refresh_from_db()
    assert first.label_status == TextStatus.WRITTEN
    assert exhibition.introduction_status == TextStatus.APPROVED


def test_accepting_builds_rooms_passages_and_placements_once(collection) -> None:
    exhibition = suggest(collection)
    rooms = building.accept_suggestion(exhibition=exhibition)
    assert [room.order_in_exhibition for room in rooms] == [0, 1, 2]
    assert [r.name for r in rooms] == [r["name"] for r in exhibition.explanation["rooms"]]
    assert [(r.is_entrance, r.is_exit) for r in rooms] == [(1, 0), (0, 0), (0, 1)]
    passages = Passage.objects.filter(from_room__in=rooms)
    assert [(p.from_room_id, p.to_room_id) for p in passages.order_by("from_room__code")] == [
        (rooms[0].pk, rooms[1].pk),
        (rooms[1].pk, rooms[2].pk),
    ]
    assert all(p.two_way and p.walking_seconds > 5 for p in passages)
    for room, spec in zip(rooms, exhibition.explanation["rooms"], strict=True):
        placed = list(room.items.order_by("order").values_list("artifact_id", flat=True))
        assert placed == spec["artifacts"]
    counts = (Floor.objects.count(), Room.objects.count(), Passage.objects.count())

    again = building.accept_suggestion(exhibition=exhibition)
    assert [r.pk for r in again] == [r.pk for r in rooms]
    assert (Floor.objects.count(), Room.objects.count(), Passage.objects.count()) == counts
    assert not exhibition.items.filter(room__isnull=True).exists()


def test_accepting_follows_the_curators_edits_and_an_existing_floor(collection) -> None:
    floor = Floor.objects.create(name="Ground", level=0)
    Room.objects.create(floor=floor, name="Lobby", code="lobby", x_m=0, width_m=10)
    exhibition = suggest(collection[:8] + collection[9:], rooms=3, per_room=4)
    exhibition.items.filter(artifact=collection[0]).delete()
    ExhibitionItem.objects.create(exhibition=exhibition, artifact=collection[8], order=99)
    rooms = building.accept_suggestion(exhibition=exhibition, floor=floor, style="corridor")
    assert {room.floor_id for room in rooms} == {floor.pk}
    assert min(room.x_m - room.width_m / 2 for room in rooms) >= 5.0 + 4.0
    assert rooms[-1].items.filter(artifact=collection[8]).exists()
    assert not exhibition.items.filter(artifact=collection[0]).exists()
    assert Room.objects.filter(code="lobby", exhibition__isnull=True).exists()


def test_filters_and_commands(collection) -> None:
    selected = services.select_artifacts(classifications=["Arms & Armor"])
    assert selected.count() == 8
    out = StringIO()
    call_command(
        "suggest_exhibitions",
        "--rooms=2",
        "--per-room=4",
        "--classification=Arms & Armor",
        "--encoder=hashing",
        "--accept",
        stdout=out,
    )
    exhibition = Exhibition.objects.get()
    assert exhibition.explanation["filters"] == {"classification": ["Arms & Armor"]}
    assert exhibition.rooms.count() == 2 and "Rooms built on floor" in out.getvalue()
    first = exhibition.items.order_by("order").first()
    services.set_label(item=first, text="Mine.")
    ExhibitionItem.objects.exclude(pk=first.pk).update(label_text="")
    out = StringIO()
    call_command("generate_labels", exhibition.slug, stdout=out)
    assert out.getvalue().strip() == f"{exhibition.slug}: 8 texts generated"
    assert ExhibitionItem.objects.get(pk=first.pk).label_text == "Mine."


class Recorder:
    def __init__(self) -> None:
        self.messages: list[str] = []

    def message_user(self, request: Any, message: Any, level: Any = None) -> None:
        self.messages.append(str(message))


def test_admin_actions_and_text_mixin(collection, make_user) -> None:
    request = RequestFactory().post("/admin/", {"apply": "1", "rooms": "1"})
    request.user = make_user("curator")
    recorder = Recorder()
    exhibits_admin.suggest_exhibitions_action(recorder, request, Artifact.objects.all())
    exhibitions = Exhibition.objects.all()
    assert exhibitions.count() == 1
    assert recorder.messages[0].startswith("Draft exhibition suggested with 1 room: ")
    exhibits_admin.accept_suggestion_action(recorder, request, exhibitions)
    exhibits_admin.accept_suggestion_action(recorder, request, exhibitions)
    assert Room.objects.count() == 1
    assert any(m.endswith(": 1 room on the floor plan.") for m in recorder.messages)
    assert not any("1 rooms" in m for m in recorder.messages)
    exhibits_admin.approve_texts_action(recorder, request, exhibitions)
    exhibits_admin.generate_labels_action(recorder, request, exhibitions)
    assert recorder.messages[-1].startswith("0 texts generated")

    admin_class = exhibits_admin.ExhibitionAdmin
    exhibition = exhibitions.get()
    exhibition.introduction = "Edited in the admin."
    form = SimpleNamespace(changed_data=["introduction"])
    admin_class(Exhibition, django_admin.site).save_model(request, exhibition, form, change=True)
    exhibition.refresh_from_db()
    assert exhibition.introduction_status == TextStatus.WRITTEN


def test_editing_a_label_in_the_admin_inline_marks_it_written(collection) -> None:
    exhibition = suggest(collection)
    item = exhibition.items.order_by("order").first()
    item.label_text = "Edited in the inline."
    item_form = SimpleNamespace(changed_data=["label_text"], instance=item)
    formset = SimpleNamespace(model=ExhibitionItem, forms=[item_form], save=item.save)
    request = RequestFactory().post("/admin/")

    admin_class = exhibits_admin.ExhibitionAdmin
    admin_class(Exhibition, django_admin.site).save_formset(request, None, formset, change=True)
    item.refresh_from_db()
    assert (item.label_text, item.label_status) == ("Edited in the inline.", TextStatus.WRITTEN)
