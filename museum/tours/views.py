"""Guided-tour pages: join by code, an educator's tours with "go live", and the live/replay page."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from museum.models import LiveTour, Tour
from museum.tours import services as tour_services
from museum.tours.models import CODE_ALPHABET


def _normalised_code(raw: str) -> str:
    code = "".join(ch for ch in raw.upper() if ch.isalnum())
    return code if code and all(ch in CODE_ALPHABET for ch in code) else ""


def tours_index(request: HttpRequest) -> HttpResponse:
    """Join a tour by its code; live tours now; an educator's own tours with a "go live" button."""
    raw = request.GET.get("code", "")
    if raw:
        code = _normalised_code(raw)
        if code and LiveTour.objects.filter(code=code).exists():
            return redirect("tour-live", code=code)
        messages.error(request, _("No tour has the code “%(code)s”.") % {"code": raw[:12]})
    live = LiveTour.objects.filter(status=LiveTour.Status.LIVE).select_related("tour", "guide")
    own: list[Tour] = []
    if request.user.is_authenticated and request.user.has_perm("museum.change_tour"):
        own = list(Tour.objects.filter(educator=request.user).prefetch_related("stops"))
    return render(request, "museum/tours.html", {"live_sessions": live[:20], "own_tours": own})


@login_required
@require_POST
def tour_start(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    """The tour's educator starts a live session and lands on its page as the guide."""
    tour = get_object_or_404(Tour, pk=pk)
    if tour.educator_id != request.user.pk and not request.user.is_superuser:
        raise Http404
    try:
        session = tour_services.start_live_tour(tour=tour, guide=request.user)
    except tour_services.TourError as error:
        messages.error(request, error.message)
        return redirect("tours")
    return redirect(session.get_absolute_url())


def tour_live(request: HttpRequest, code: str) -> HttpResponse:
    """The live page (guide or follower, decided by the server) or, once ended, the replay."""
    session = get_object_or_404(LiveTour.objects.select_related("tour"), code=code.upper())
    is_guide = tour_services.can_guide(session, request.user)
    state = tour_services.tour_state(session)
    ended = session.status == LiveTour.Status.ENDED
    if not ended and not request.user.is_authenticated and not request.session.session_key:
        # The tour socket tells visitors without an account apart by this session (their open
        # questions, their rate of hands), not by their address, which a class behind one NAT
        # shares.
        request.session["tour_visitor"] = True
    config: dict[str, Any] = {
        "code": session.code,
        "socketPath": f"/ws/tours/{session.code}/",
        "isGuide": is_guide and not ended,
        "status": session.status,
        "state": state,
        "stops": [
            {"index": index, "title": tour_services.stop_title(stop)}
            for index, stop in enumerate(session.tour.stops.select_related("artifact"))
        ],
        "replay": tour_services.replay_timeline(session) if ended else None,
        "dracoDecoderPath": static("vendor/three/addons/libs/draco/gltf/"),
        "strings": _strings(),
    }
    context = {"session": session, "is_guide": config["isGuide"], "ended": ended, "config": config}
    return render(request, "museum/tour.html", context)


@require_POST
def tour_save_view(request: HttpRequest, code: str, index: int) -> JsonResponse:
    """The guide saves the current camera as a stop's view (JSON {position, target})."""
    try:
        body = json.loads(request.body or b"{}")
        state = tour_services.save_stop_view(
            code=code,
            user=request.user,
            index=index,
            position=body.get("position"),
            target=body.get("target"),
        )
    except (ValueError, AttributeError):
        return _error("bad_json", "Send a JSON object with position and target.", 400)
    except tour_services.TourError as error:
        status = {"forbidden": 403, "not_found": 404, "ended": 409}.get(error.code, 400)
        return _error(error.code, error.message, status)
    return JsonResponse(state)


def _error(code: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)


def _strings() -> dict[str, Any]:
    return {
        "connecting": _("Connecting…"),
        "connected": _("Connected"),
        "reconnecting": _("Connection lost; reconnecting…"),
        "stopOf": _("Stop {number} of {count}"),
        "guideMoved": _("The guide moved to stop {number}."),
        "ended": _("This tour has ended. You can replay it."),
        "lagging": _("not at the current stop"),
        "roaming": _("roaming"),
        "following": _("following"),
        "noFollowers": _("No followers yet."),
        "noHands": _("No hands raised."),
        "noQuestions": _("No questions yet."),
        "lower": _("Lower"),
        "answer": _("Answer"),
        "dismiss": _("Dismiss"),
        "answerPlaceholder": _("Your answer"),
        "you": _("(you)"),
        "loading": _("Loading the 3D model…"),
        "loadError": _("The 3D model could not be loaded."),
        "noModel": _("No 3D model for this stop."),
        "errorPrefix": _("Refused: "),
        # The websocket's refusals by code (the realtime core writes its messages in English).
        "errors": {
            "rate_limited": _("Too many messages; wait a moment."),
            "forbidden": _("You may not do that on this tour."),
            "ended": _("This tour has ended."),
            "too_large": _("That message is too long."),
        },
        "confirmEnd": _("End the tour for everyone?"),
        "viewSaved": _("View saved for this stop."),
        "voice": {
            "you": _("you"),
            "someone": _("someone"),
            "speaking": _("Speaking: {names}"),
            "nobodySpeaking": _("Nobody is speaking."),
            "floorHeld": _("{name} has the floor."),
            "youHaveFloor": _("The guide gave you the floor: hold “Hold to talk” (or T) to speak."),
            "giveFloor": _("Give the floor"),
            "voiceOff": _("Live voice is off for this tour."),
            "voiceUnavailable": _(
                "Live voice is not available to you on this tour (the group is too large)."
            ),
            "micError": _("The microphone could not be opened. Check the browser's permission."),
        },
        "captions": {
            "you": _("you"),
            "unsupported": _("This browser cannot make captions from speech."),
            "refused": _("Captions need the browser's permission to use speech recognition."),
        },
    }
