"""The hostile-user suite (issue #16): anonymous, a signed-in visitor (no group) and an educator
try every way we know to reach a draft's files, a pending or rejected restoration, unreleased
condition images, curators' mask corrections, and drafts through tours, the planner, search,
IIIF and Linked Art, including URLs guessed from ids. Each attempt checks the body, not only
the status: no private storage name, no draft title, no file bytes. A curator (another curator:
curators see every draft, by design) runs the media attempts as the control, so every private
URL tried is shown to be real.

HOSTILE_ATTEMPTS counts the attempts; the closing note of issue #16 reports it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.test import Client

from exhibits.collection import services as collection
from exhibits.models import Artifact, Asset
from museum.models import Floor, LiveTour, Passage, Room, Tour, TourStop
from museum.tours import services as tours
from restoration.models import ConditionRecord, DamageFinding, MaskCorrection, RestorationJob
from restoration.restore import services as restore
from tests.unit.factories import (
    glb_bytes,
    make_artifact,
    make_exhibition,
    make_source,
    make_thumbnail,
    png_bytes,
)

HOSTILE_ROLES = ("anonymous", "visitor", "educator")
DRAFT_TITLE = "Unpublished Lekythos of the Reserve"
DRAFT_ROOM = "reserve-cast-room"


@dataclass
class Scene:
    public: dict[str, Asset | Any]
    private: dict[str, str]  # what -> storage name a hostile user must never get
    ids: dict[str, int]
    code: str


def _restored(artifact: Any, source: Asset, label: str) -> Asset:
    asset = Asset(
        artifact=artifact,
        kind=Asset.Kind.RESTORED,
        label=label,
        derived_from=source,
        sha256="0" * 64,
        byte_size=3,
        format="glb",
    )
    asset.file.save(f"job1-restored-{label}.glb", ContentFile(glb_bytes()), save=True)
    return asset


def _restoration(artifact: Any, asset: Asset) -> RestorationJob:
    return RestorationJob.objects.create(
        artifact=artifact,
        kind=RestorationJob.Kind.SURFACE,
        status=RestorationJob.Status.DONE,
        restored_model=asset,
        report={"assets": {"model": asset.pk, "textures": [], "masks": []}},
    )


def _record(artifact: Any, *, released: bool) -> ConditionRecord:
    record = ConditionRecord(
        artifact=artifact,
        origin=ConditionRecord.Origin.SOURCE,
        image_index=0,
        width_px=8,
        height_px=8,
        model_version="hostile-test",
        released=released,
    )
    record.texture.save("t0-texture.png", ContentFile(png_bytes()), save=False)
    record.overlay.save("t0-overlay.png", ContentFile(png_bytes()), save=False)
    record.save()
    return record


@pytest.fixture
def scene(db, make_user) -> Scene:
    curator = make_user("curator")
    # A published object: public web copies, a private source, three restorations, and a
    # condition check nobody released, with a finding and a curator's correction.
    shown = make_artifact(title="Public amphora")
    source = make_source(shown, name="master-scan.glb")
    thumbnail = make_thumbnail(source)
    accepted = _restored(shown, source, "accepted")
    pending = _restored(shown, source, "pending")
    rejected = _restored(shown, source, "rejected")
    restore.accept_restoration(job=_restoration(shown, accepted), user=curator)
    pending_job = _restoration(shown, pending)
    rejected_job = _restoration(shown, rejected)
    restore.reject_restoration(job=rejected_job, user=curator)
    record = _record(shown, released=False)
    finding = DamageFinding(record=record, damage_class="crack", pixel_share=0.1)
    finding.mask.save("t0-crack-mask.png", ContentFile(png_bytes()), save=True)
    correction_fields: dict[str, Any] = {"record": record, "damage_class": "crack"}
    if any(f.name == "artifact" for f in MaskCorrection._meta.fields):
        correction_fields["artifact"] = shown
    if any(f.name == "texture_key" for f in MaskCorrection._meta.fields):
        correction_fields["texture_key"] = record.correction_key  # type: ignore[attr-defined]
    correction = MaskCorrection(**correction_fields)
    correction.mask.save("t0-crack-corrected.png", ContentFile(png_bytes()), save=True)
    # A draft: its files, and a condition record released while it is still a draft.
    draft = make_artifact(title=DRAFT_TITLE, published=False)
    draft_source = make_source(draft, name="draft-scan.glb")
    draft_thumbnail = make_thumbnail(draft_source)
    draft_record = _record(draft, released=True)
    # A published exhibition listing both; a draft exhibition whose room joins the plan.
    exhibition = make_exhibition(shown, draft, slug="on-view")
    secret_show = make_exhibition(draft, published=False, slug="secret-show", title=DRAFT_TITLE)
    floor = Floor.objects.create(name="Ground", level=0)
    hall = Room.objects.create(floor=floor, name="Hall", code="hall", exhibition=exhibition)
    hall.is_entrance = hall.is_exit = True
    hall.save()
    cast = Room.objects.create(
        floor=floor, name=DRAFT_TITLE, code=DRAFT_ROOM, exhibition=secret_show, x_m=20
    )
    Passage.objects.create(from_room=hall, to_room=cast)
    exhibition.items.update(room=hall)
    secret_show.items.update(room=cast)
    # A tour whose second stop is the draft, with narration and audio about it.
    educator = make_user("educator")
    tour = Tour.objects.create(title="Highlights", educator=educator)
    TourStop.objects.create(tour=tour, order=0, artifact=shown, narration="Look at the amphora.")
    stop = TourStop(tour=tour, order=1, artifact=draft, narration=f"Secret: {DRAFT_TITLE}")
    stop.audio.save("draft-narration.mp3", ContentFile(b"ID3" + b"\0" * 64), save=True)
    session = tours.start_live_tour(tour=tour, guide=educator)
    tours.go_to_stop(code=session.code, user=educator, index=1)
    private = {
        "private source": source.file.name,
        "pending restoration": pending.file.name,
        "rejected restoration": rejected.file.name,
        "unreleased condition texture": record.texture.name,
        "unreleased condition overlay": record.overlay.name,
        "unreleased finding mask": finding.mask.name,
        "curator's mask correction": correction.mask.name,
        "draft source": draft_source.file.name,
        "draft thumbnail": draft_thumbnail.file.name,
        "draft's released condition texture": draft_record.texture.name,
        "draft stop's tour audio": stop.audio.name,
    }
    return Scene(
        public={"thumbnail": thumbnail, "accepted": accepted, "artifact": shown},
        private=private,
        ids={
            "shown": shown.pk,
            "draft": draft.pk,
            "source": source.pk,
            "draft_source": draft_source.pk,
            "pending_job": pending_job.pk,
            "rejected_job": rejected_job.pk,
            "record": record.pk,
        },
        code=session.code,
    )


def _client(make_user: Any, role: str) -> Client:
    client = Client()
    user = None
    if role != "anonymous":  # the scene made the tour's educator and a curator already
        user = User.objects.filter(username=role).first() or make_user(role)
    if user is not None:
        client.force_login(user)
    return client


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def assert_no_leak(scene: Scene, response: Any, what: str) -> None:
    body = _body(response).decode("utf-8", errors="replace")
    for label, name in scene.private.items():
        assert name not in body, f"{what}: leaks the {label} ({name})"
        assert name.rsplit("/", 1)[-1] not in body, f"{what}: leaks the {label}'s name"
    assert DRAFT_TITLE not in body, f"{what}: leaks the draft's title"
    assert DRAFT_ROOM not in body, f"{what}: leaks the draft exhibition's room"


# ------------------------------------------------------------------ media files by their URL

MEDIA_TARGETS = (
    "private source",
    "pending restoration",
    "rejected restoration",
    "unreleased condition texture",
    "unreleased condition overlay",
    "unreleased finding mask",
    "curator's mask correction",
    "draft source",
    "draft thumbnail",
    "draft's released condition texture",
    "draft stop's tour audio",
)


# The educator who wrote the tour hears its audio (museum.view_tourstop): not an attempt.
MEDIA_CASES = [
    (role, target)
    for role in HOSTILE_ROLES
    for target in MEDIA_TARGETS
    if not (role == "educator" and target == "draft stop's tour audio")
]


@pytest.mark.parametrize(("role", "target"), MEDIA_CASES)
def test_private_media_answers_404(scene: Scene, make_user, role: str, target: str) -> None:
    response = _client(make_user, role).get(f"/media/{scene.private[target]}")
    assert response.status_code == 404, target
    assert b"\x89PNG" not in _body(response) and b"glTF" not in _body(response)
    assert_no_leak(scene, response, target)


@pytest.mark.parametrize(
    "target", [t for t in MEDIA_TARGETS if t != "draft stop's tour audio"] + ["tour audio"]
)
def test_the_control_a_curator_gets_every_private_file(scene: Scene, make_user, target) -> None:
    """Not hostile: proves each URL above names a real file (curators see drafts, by design)."""
    if target == "tour audio":
        role, target = "educator", "draft stop's tour audio"  # the tour's author hears it
    else:
        role = "curator"
    response = _client(make_user, role).get(f"/media/{scene.private[target]}")
    assert response.status_code == 200 and _body(response)
    assert response["Cache-Control"] == "private, no-store"


def test_api_token_fetches_what_the_api_lists(scene: Scene, make_user) -> None:
    """API clients send their token: a curator's gets the private file; a wrong token, a
    visitor's, or HTTP Basic (no longer accepted, even with the right password) get the 404 of
    anyone else."""
    import base64

    from rest_framework.authtoken.models import Token

    curator = User.objects.get(username="curator")
    curator.set_password("right horse battery")
    curator.save()
    visitor_token = Token.objects.create(user=make_user("visitor")).key
    curator_token = Token.objects.create(user=curator).key
    url = f"/media/{scene.private['private source']}"
    response = Client().get(url, HTTP_AUTHORIZATION=f"Token {curator_token}")
    assert response.status_code == 200 and _body(response)
    basic = "Basic " + base64.b64encode(b"curator:right horse battery").decode()
    for header in (f"Token {visitor_token}", f"Token {curator_token[::-1]}", "Token", basic):
        response = Client().get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 404 and b"glTF" not in _body(response)


def test_public_media_is_served_to_anyone(scene: Scene) -> None:
    for asset in (scene.public["thumbnail"], scene.public["accepted"]):
        response = Client().get(asset.file.url)
        assert response.status_code == 200
        assert _body(response) == asset.file.open("rb").read()
        assert response["Cache-Control"].startswith("public")


def _guessed_urls(scene: Scene) -> list[str]:
    shown, draft = scene.ids["shown"], scene.ids["draft"]
    return [
        f"/media/artifacts/{draft}/source/draft-scan.glb",  # the names before issue #16
        f"/media/artifacts/{shown}/source/master-scan.glb",
        f"/media/artifacts/{shown}/restored/job1-restored-pending.glb",
        f"/media/artifacts/{shown}/restored/job1-restored-rejected.glb",
        f"/media/condition/{shown}/t0-texture.png",
        f"/media/condition/{shown}/t0-crack-mask.png",
        f"/media/condition/{shown}/t0-crack-corrected.png",
        "/media/tours/audio/draft-narration.mp3",
        f"/media/artifacts/{draft}/thumbnail/",
        "/media/../museum/settings.py",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media//etc/passwd",
        f"/media/artifacts/{shown}/source/..%2f..%2fsettings.py",
        f"/media/{scene.private['private source']}%00.png",
        f"/media/{scene.private['private source']}/",
        f"/media/./{scene.private['private source']}",
    ]


GUESSES = 16


@pytest.mark.parametrize("role", HOSTILE_ROLES)
@pytest.mark.parametrize("index", range(GUESSES))
def test_guessed_media_urls_answer_404(scene: Scene, make_user, role: str, index: int) -> None:
    urls = _guessed_urls(scene)
    assert len(urls) == GUESSES
    response = _client(make_user, role).get(urls[index])
    assert response.status_code == 404, urls[index]
    assert b"glTF" not in _body(response) and b"SECRET_KEY" not in _body(response)


# ------------------------------------------------------------------ records, pages, exports


def _record_urls(scene: Scene) -> list[str]:
    shown, draft = scene.ids["shown"], scene.ids["draft"]
    return [
        f"/api/artifacts/{shown}/",
        f"/api/artifacts/{shown}/assets/",
        f"/api/assets/{scene.ids['source']}/",
        f"/api/assets/{scene.ids['draft_source']}/",
        f"/api/artifacts/{draft}/assets/",
        "/api/artifacts/",
        f"/api/artifacts/{shown}/restorations",
        f"/api/restoration-jobs/{scene.ids['pending_job']}",
        f"/api/restoration-jobs/{scene.ids['rejected_job']}",
        f"/api/artifacts/{shown}/condition",
        f"/artifacts/{shown}/condition/",
        f"/artifacts/{shown}/condition.pdf",
        f"/artifacts/{draft}/condition/",
        f"/artifacts/{shown}/",
        f"/artifacts/{draft}/",
        "/exhibitions/on-view/",
        "/exhibitions/secret-show/",
        "/api/exhibitions/on-view/",
        "/",
        f"/iiif/artifacts/{shown}/manifest.json",
        f"/iiif/artifacts/{draft}/manifest.json",
        "/iiif/exhibitions/on-view/manifest.json",
        f"/linked-art/objects/{shown}.json",
        f"/linked-art/objects/{draft}.json",
        "/api/search?q=Lekythos",  # a word of the draft's title (the query is echoed)
        "/search/?q=Lekythos+Reserve",
        "/plan/",
        f"/tours/{scene.code}/",
        "/tours/",
    ]


RECORD_ATTEMPTS = 29
# Educators read draft records (they prepare tours): for them, the draft's record pages are not
# hostile attempts; its files, restorations and condition material still are.
EDUCATOR_MAY_READ = {"/api/artifacts/", "/api/artifacts/{draft}/assets/"}


@pytest.mark.parametrize("role", HOSTILE_ROLES)
@pytest.mark.parametrize("index", range(RECORD_ATTEMPTS))
def test_records_pages_and_exports_leak_nothing(
    scene: Scene, make_user, role: str, index: int
) -> None:
    urls = _record_urls(scene)
    assert len(urls) == RECORD_ATTEMPTS
    url = urls[index]
    response = _client(make_user, role).get(url)
    assert response.status_code in (200, 302, 403, 404), url
    body = _body(response).decode("utf-8", errors="replace")
    for label, name in scene.private.items():
        assert name not in body, f"{url}: leaks the {label}"
    if role != "educator":
        assert DRAFT_TITLE not in body, f"{url}: leaks the draft"
        assert DRAFT_ROOM not in body, f"{url}: leaks the draft room"


@pytest.mark.parametrize("role", HOSTILE_ROLES)
def test_the_planner_never_routes_through_a_draft_room(scene: Scene, make_user, role) -> None:
    response = _client(make_user, role).post(
        "/api/visits/plan",
        {"minutes": 60, "interests": DRAFT_TITLE},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert_no_leak(scene, response, "plan")


@pytest.mark.parametrize("role", HOSTILE_ROLES)
def test_tour_payloads_and_replays_withhold_the_draft(scene: Scene, make_user, role) -> None:
    state = tours.tour_state_for_code(scene.code)
    stop = state["stop"]
    assert stop["withheld"] and stop["model_url"] is None and stop["audio_url"] is None
    assert DRAFT_TITLE not in str(state)
    tours.end_live_tour(code=scene.code, user=LiveTour.objects.get(code=scene.code).tour.educator)
    timeline = tours.replay_timeline(LiveTour.objects.get(code=scene.code))
    assert DRAFT_TITLE not in str(timeline)
    for name in scene.private.values():
        assert name not in str(timeline)
    response = _client(make_user, role).get(f"/tours/{scene.code}/")
    assert_no_leak(scene, response, "tour replay page")


def test_deleting_an_artifact_deletes_every_file_it_owns(
    scene: Scene, media_root, django_capture_on_commit_callbacks
) -> None:
    """Assets, condition images, findings and corrections go with the artifact, on commit."""
    shown = scene.public["artifact"]
    owned = [name for label, name in scene.private.items() if not label.startswith("draft")]
    owned += [scene.public["thumbnail"].file.name, scene.public["accepted"].file.name]
    assert all((media_root / name).exists() for name in owned)
    with django_capture_on_commit_callbacks(execute=True):
        collection.delete_artifact(artifact=shown)
    assert [name for name in owned if (media_root / name).exists()] == []
    draft_files = [name for label, name in scene.private.items() if label.startswith("draft")]
    assert all((media_root / name).exists() for name in draft_files)  # not the draft's


def test_deleting_an_artifact_deletes_its_tour_stops_audio(
    scene: Scene, media_root, django_capture_on_commit_callbacks
) -> None:
    audio = scene.private["draft stop's tour audio"]
    assert (media_root / audio).exists()
    with django_capture_on_commit_callbacks(execute=True):
        collection.delete_artifact(artifact=Artifact.objects.get(pk=scene.ids["draft"]))
    assert not (media_root / audio).exists()


# Media targets, guessed URLs, record/page/export URLs, the planner and the tour, per role.
HOSTILE_ATTEMPTS = len(MEDIA_CASES) + len(HOSTILE_ROLES) * (GUESSES + RECORD_ATTEMPTS + 2)


def test_the_attempts_are_counted() -> None:
    assert HOSTILE_ATTEMPTS == 32 + 3 * (16 + 29 + 2) == 173
