"""Live guided tours: start, move between stops, hands and questions, end; each one transaction.

The websocket consumer calls these (on its own worker threads) and publishes what they return;
authority checks live here so the page, the API and the socket all enforce the same rules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from exhibits.collection.visibility import is_public_asset
from exhibits.intake.services import INTAKE_KIND
from exhibits.models import Annotation, Artifact, Job, PublicationStatus
from museum.models import LiveTour, LiveTourEvent, Tour, TourQuestion, TourStop

MAX_OPEN_QUESTIONS_PER_PERSON = 5


class TourError(Exception):
    """A refused tour action; `code` is a PROTOCOL.md error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def can_guide(session: LiveTour, user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Only the session's educator or a co-guide they named may control it."""
    if user is None or not user.is_authenticated:
        return False
    return session.guide_id == user.pk or session.co_guides.filter(pk=user.pk).exists()


def _session(code: str) -> LiveTour:
    session = LiveTour.objects.select_related("tour").filter(code=code.upper()).first()
    if session is None:
        raise TourError("not_found", gettext("No tour has this code."))
    return session


def _live_session_for_guide(code: str, user: Any) -> LiveTour:
    session = _session(code)
    if not can_guide(session, user):
        raise TourError("forbidden", gettext("Only the tour's guide can do that."))
    if session.status != LiveTour.Status.LIVE:
        raise TourError("ended", gettext("This tour has ended."))
    return session


def _log(session: LiveTour, kind: str, **payload: Any) -> None:
    LiveTourEvent.objects.create(session=session, kind=kind, payload=payload)


@transaction.atomic
def start_live_tour(*, tour: Tour, guide: User, co_guides: Iterable[User] = ()) -> LiveTour:
    """Open a live session of `tour` led by `guide`, at its first stop."""
    if not tour.stops.exists():
        raise TourError(
            "bad_value", gettext("A tour needs at least one stop before it can go live.")
        )
    for _attempt in range(5):
        session = LiveTour(tour=tour, guide=guide)
        if not LiveTour.objects.filter(code=session.code).exists():
            break
    session.save()
    session.co_guides.set([user for user in co_guides if user.pk != guide.pk])
    _log(session, "start", stop=0)
    return session


def _stop_payload(stop: TourStop, index: int) -> dict[str, Any]:
    from exhibits.collection.serializers import (
        pick_lods,  # the web LOD, as the artifact page picks it
    )

    artifact = stop.artifact
    if artifact.status != PublicationStatus.PUBLISHED:
        return _withheld_stop(stop, index)
    lods = pick_lods([a for a in artifact.assets.all() if is_public_asset(a, artifact)])
    model = lods.get("web") or lods.get("inspection") or lods.get("thumb")
    camera = None
    if stop.camera_position and stop.camera_target:
        camera = {"position": stop.camera_position, "target": stop.camera_target}
    else:
        camera = _default_camera(artifact)
    annotation = None
    if stop.annotation_id:
        note = stop.annotation
        assert note is not None  # annotation_id is set
        annotation = {
            "id": note.pk,
            "title": note.title,
            "body": note.text,
            "position": note.position,
            "region": note.region,
            # A region drawn on the model (#23) and its class colour: the stage outlines it.
            "shape": note.shape,
            "colour": note.annotation_class.colour if note.annotation_class else None,
        }
    return {
        "index": index,
        "artifact_id": artifact.pk,
        "artifact_title": artifact.title,
        "artifact_url": artifact.get_absolute_url(),
        "model_url": model.file.url if model is not None else None,
        "narration": stop.narration,
        "audio_url": stop.audio.url if stop.audio else None,
        "camera": camera,
        "annotation": annotation,
        "picture": _picture(artifact, stop.annotation),
    }


def _picture(artifact: Artifact, note: Annotation | None) -> dict[str, Any] | None:
    """A flat work's web copy and the size of the canvas its region is measured on (the page
    shows the picture with the stop's region framed); None for a 3D object."""
    if artifact.form != Artifact.Form.FLAT:
        return None
    canvas_id = note.region.get("canvas") if note and isinstance(note.region, dict) else None
    canvases = artifact.canvases.order_by("order", "pk")
    canvas = canvases.filter(pk=canvas_id).first() if canvas_id else None
    canvas = canvas or canvases.first()
    web = canvas.web_image() if canvas else None
    if canvas is None or web is None or not is_public_asset(web, artifact):
        return None
    return {"url": web.file.url, "width": canvas.width_px, "height": canvas.height_px}


def _default_camera(artifact: Artifact) -> dict[str, Any] | None:
    """The view intake computed for an object (a raised three-quarter view framing it,
    `exhibits.intake.viewpoints.default_view`), for a stop whose guide saved none: the guide
    and every follower then meet the same view, whatever their screens."""
    reports = artifact.jobs.filter(kind=INTAKE_KIND, status=Job.Status.DONE).order_by(
        "-finished_at"
    )
    report = reports.values_list("report", flat=True).first()
    view = report.get("default_view") if isinstance(report, dict) else None
    if not isinstance(view, dict):
        return None  # intake before default views, or no finished intake
    return {"position": view["camera_position"], "target": view["camera_target"]}


def stop_title(stop: TourStop) -> str:
    """The stop's artifact title, or a neutral one while the artifact is unpublished."""
    if stop.artifact.status != PublicationStatus.PUBLISHED:
        return gettext("An object not on view")
    return stop.artifact.title


def _withheld_stop(stop: TourStop, index: int) -> dict[str, Any]:
    """A stop whose artifact is not published: payloads go to every follower (and replays stay
    open), so nothing of the draft travels: no title, link, model, narration, audio or note."""
    return {
        "index": index,
        "artifact_id": None,
        "artifact_title": stop_title(stop),
        "artifact_url": "",
        "model_url": None,
        "narration": "",
        "audio_url": None,
        "camera": None,
        "annotation": None,
        "picture": None,
        "withheld": True,
    }


def _stops(session: LiveTour) -> list[TourStop]:
    return list(
        session.tour.stops.select_related(
            "artifact", "annotation", "annotation__annotation_class"
        ).prefetch_related("artifact__assets")
    )


def tour_state(session: LiveTour) -> dict[str, Any]:
    """The `tour` frame's fields: status and the current stop in full."""
    stops = _stops(session)
    index = min(session.stop_index, len(stops) - 1) if stops else 0
    return {
        "code": session.code,
        "title": session.tour.title,
        "status": session.status,
        "stop_index": index,
        "stops_count": len(stops),
        "stop": _stop_payload(stops[index], index) if stops else None,
    }


def tour_state_for_code(code: str) -> dict[str, Any]:
    return tour_state(_session(code))


@transaction.atomic
def go_to_stop(*, code: str, user: Any, index: int) -> dict[str, Any]:
    """Move the session to stop `index` (guide only)."""
    session = _live_session_for_guide(code, user)
    count = session.tour.stops.count()
    if not 0 <= index < count:
        raise TourError(
            "bad_value", gettext("This tour has stops 0 to %(last)s.") % {"last": count - 1}
        )
    if index != session.stop_index:
        session.stop_index = index
        session.save(update_fields=["stop_index"])
        _log(session, "stop", stop=index)
    return tour_state(session)


@transaction.atomic
def end_live_tour(*, code: str, user: Any) -> dict[str, Any]:
    """End the session; it can then only be replayed."""
    session = _live_session_for_guide(code, user)
    session.status = LiveTour.Status.ENDED
    session.ended_at = timezone.now()
    session.floor_member = ""  # nobody speaks in an ended tour (museum/tours/floor.py)
    session.save(update_fields=["status", "ended_at", "floor_member"])
    _log(session, "end", stop=session.stop_index)
    return tour_state(session)


def _live(code: str) -> LiveTour:
    """The live session of `code` for a follower's hand or question: only its id and status (the
    tour row is not needed there, and a hand is the tour's most frequent write)."""
    session = LiveTour.objects.only("pk", "status").filter(code=code.upper()).first()
    if session is None:
        raise TourError("not_found", gettext("No tour has this code."))
    if session.status != LiveTour.Status.LIVE:
        raise TourError("ended", gettext("This tour has ended."))
    return session


def hands_queue(session: LiveTour) -> list[dict[str, Any]]:
    hands = session.requests.filter(
        kind=TourQuestion.Kind.HAND, status=TourQuestion.Status.OPEN
    ).values_list("member_id", "name", "created_at")
    # Plain rows, not model instances: this runs on every hand raised or lowered, and building
    # the instances was 8% of the presence server's CPU under the benchmark's tour (issue #24).
    return [
        {"member": member, "name": name, "since": since.isoformat()}
        for member, name, since in hands
    ]


def question_item(question: TourQuestion) -> dict[str, Any]:
    """One question with its asker's member id and person (consumers filter per audience)."""
    return {
        "id": question.pk,
        "member": question.member_id,
        "asker": question.asker,
        "name": question.name,
        "text": question.text,
        "status": question.status,
        "answer": question.answer,
    }


def question_items(session: LiveTour) -> list[dict[str, Any]]:
    """Every question of the session (the list a joining socket gets)."""
    questions = session.requests.filter(kind=TourQuestion.Kind.QUESTION).exclude(
        status=TourQuestion.Status.LOWERED
    )
    return [question_item(question) for question in questions]


@transaction.atomic
def set_hand(*, code: str, member_id: str, name: str, raised: bool) -> list[dict[str, Any]]:
    """Raise or lower a follower's hand; one open hand per member. Returns the queue."""
    session = _live(code)
    open_hands = session.requests.filter(
        kind=TourQuestion.Kind.HAND, status=TourQuestion.Status.OPEN, member_id=member_id
    )
    if raised and not open_hands.exists():
        TourQuestion.objects.create(
            session=session, kind=TourQuestion.Kind.HAND, member_id=member_id, name=name
        )
    elif not raised:
        open_hands.update(status=TourQuestion.Status.LOWERED)
    return hands_queue(session)


@transaction.atomic
def lower_hand(*, code: str, user: Any, member_id: str) -> list[dict[str, Any]]:
    """The guide takes a raised hand off the queue."""
    session = _live_session_for_guide(code, user)
    session.requests.filter(
        kind=TourQuestion.Kind.HAND, status=TourQuestion.Status.OPEN, member_id=member_id
    ).update(status=TourQuestion.Status.LOWERED)
    return hands_queue(session)


@transaction.atomic
def ask_question(*, code: str, member_id: str, asker: str, name: str, text: str) -> dict[str, Any]:
    """A follower's question; `asker` names the person across reconnections, and caps their
    open questions. Returns the new question only (consumers send it as a delta)."""
    session = _live(code)
    open_count = session.requests.filter(
        kind=TourQuestion.Kind.QUESTION, status=TourQuestion.Status.OPEN, asker=asker
    ).count()
    if open_count >= MAX_OPEN_QUESTIONS_PER_PERSON:
        raise TourError(
            "rate_limited",
            gettext("You have several open questions; wait for the guide to answer."),
        )
    question = TourQuestion.objects.create(
        session=session,
        kind=TourQuestion.Kind.QUESTION,
        member_id=member_id,
        asker=asker,
        name=name,
        text=text,
    )
    return question_item(question)


def _open_question(session: LiveTour, question_id: int) -> TourQuestion:
    question = session.requests.filter(
        pk=question_id, kind=TourQuestion.Kind.QUESTION, status=TourQuestion.Status.OPEN
    ).first()
    if question is None:
        raise TourError("not_found", gettext("No open question has this id."))
    return question


@transaction.atomic
def answer_question(*, code: str, user: Any, question_id: int, text: str) -> dict[str, Any]:
    """The guide answers an open question; returns it (answered)."""
    session = _live_session_for_guide(code, user)
    question = _open_question(session, question_id)
    question.status = TourQuestion.Status.ANSWERED
    question.answer = text
    question.save(update_fields=["status", "answer"])
    _log(session, "answer", question=question.text, answer=text, stop=session.stop_index)
    return question_item(question)


@transaction.atomic
def dismiss_question(*, code: str, user: Any, question_id: int) -> dict[str, Any]:
    """The guide dismisses an open question; returns it (dismissed)."""
    session = _live_session_for_guide(code, user)
    question = _open_question(session, question_id)
    question.status = TourQuestion.Status.DISMISSED
    question.save(update_fields=["status"])
    return question_item(question)


def _vector(value: Any) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(type(v) in (int, float) and math.isfinite(v) and abs(v) < 1e4 for v in value)
    ):
        raise TourError("bad_value", gettext("A camera vector is a list of three finite numbers."))
    return [float(v) for v in value]


@transaction.atomic
def save_stop_view(
    *, code: str, user: Any, index: int, position: Any, target: Any
) -> dict[str, Any]:
    """The guide saves the current camera as stop `index`'s view (authoring on the tour page)."""
    session = _live_session_for_guide(code, user)
    stops = list(session.tour.stops.all())
    if not 0 <= index < len(stops):
        raise TourError("bad_value", f"This tour has stops 0 to {len(stops) - 1}.")
    stop = stops[index]
    stop.camera_position = _vector(position)
    stop.camera_target = _vector(target)
    stop.save(update_fields=["camera_position", "camera_target"])
    return tour_state(session)


def join_info(code: str, user: Any) -> dict[str, Any] | None:
    """What a connecting socket needs: state, hands, questions and whether the user guides."""
    try:
        session = _session(code)
    except TourError:
        return None
    return {
        "code": session.code,
        "is_guide": can_guide(session, user),
        "state": tour_state(session),
        "hands": hands_queue(session),
        "questions": question_items(session),
    }


@transaction.atomic
def visitor_name(*, code: str, person: str) -> str:
    """An anonymous follower's name in a live tour, "Visitor N": N is unique in the session on
    every process (logged as a `visitor` event under a lock of the session) and the same again
    when the same person (tour_consumer.person_of) reconnects."""
    session = LiveTour.objects.select_for_update().filter(code=code.upper()).first()
    if session is None:
        raise TourError("not_found", gettext("No tour has this code."))
    visitors = session.events.filter(kind="visitor")
    known = visitors.filter(payload__person=person).first()
    number = known.payload["number"] if known else visitors.count() + 1
    if known is None:
        _log(session, "visitor", person=person, number=number)
    return f"Visitor {number}"


def replay_timeline(session: LiveTour) -> list[dict[str, Any]]:
    """The session's stop changes and answers with seconds from its start, for the replay page."""
    stops = _stops(session)
    timeline = []
    for event in session.events.all():
        entry: dict[str, Any] = {
            "kind": event.kind,
            "seconds": round((event.at - session.started_at).total_seconds(), 1),
        }
        index = event.payload.get("stop")
        if event.kind in ("start", "stop") and index is not None and index < len(stops):
            entry["stop"] = _stop_payload(stops[index], index)
        if event.kind == "answer":
            entry["question"] = event.payload.get("question", "")
            entry["answer"] = event.payload.get("answer", "")
        timeline.append(entry)
    return timeline
