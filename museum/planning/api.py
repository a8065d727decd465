"""`POST /api/visits/plan`: a personalised route through the museum (thin view)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from museum.planning import services as planning_services


class VisitPlanRequestSerializer(serializers.Serializer):
    interests = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="",
        help_text=_("Free text: what the visitor would like to see."),
    )  # fmt: skip
    themes = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list, max_length=20,
        help_text=_("Themes or tags, e.g. ['bronze', 'music']."),
    )  # fmt: skip
    liked_artifact = serializers.IntegerField(
        required=False, allow_null=True, default=None,
        help_text=_("An artifact the visitor liked: it becomes a must-see."),
    )  # fmt: skip
    minutes = serializers.FloatField(help_text=_("Time available, in minutes."))
    entrance = serializers.SlugField(
        required=False, allow_blank=True, default="",
        help_text=_("Room code to start from (default: the entrance)."),
    )  # fmt: skip
    exit = serializers.SlugField(
        required=False, allow_blank=True, default="",
        help_text=_("Room code to finish in (default: the exit)."),
    )  # fmt: skip
    group_size = serializers.IntegerField(required=False, default=1, max_value=50)


class PlanInvalid(exceptions.ValidationError):
    """400 with the planner's own code ("budget", "unknown_room", "disconnected", ...)."""

    def __init__(self, error: planning_services.VisitPlanError) -> None:
        super().__init__({error.field: [error.message]})
        self.default_code = error.code


class VisitPlanView(APIView):
    """Plan a visit for the visitor's interests and time; every stop says why it is there."""

    permission_classes = [AllowAny]
    throttle_scope = "plan"  # museum/throttling.py

    @extend_schema(
        request=VisitPlanRequestSerializer,
        responses={200: dict},
        description=_(
            "Orders the objects on display into a route from the entrance to the exit that fits "
            "the time available and collects the most interest; returns the stops with arrival "
            "minutes and explanations, totals and the rooms walked through."
        ),
    )
    def post(self, request: Request) -> Response:
        data = VisitPlanRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            plan = planning_services.plan_for_visitor(
                interests=values["interests"],
                themes=values["themes"],
                liked_artifact=values["liked_artifact"],
                minutes=values["minutes"],
                entrance=values["entrance"] or None,
                exit=values["exit"] or None,
                group_size=values["group_size"],
            )
        except planning_services.VisitPlanError as error:
            raise PlanInvalid(error) from error
        return Response(plan)


class NextStopRequestSerializer(serializers.Serializer):
    room = serializers.SlugField(help_text=_("Room code where the visitor stands."))
    minutes_left = serializers.FloatField(
        min_value=0, max_value=planning_services.MAX_MINUTES,
        help_text=_("Minutes the visitor has left."),
    )  # fmt: skip
    seen = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=2000,
        help_text=_("Artifacts already seen."),
    )  # fmt: skip
    interests = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    themes = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list, max_length=20
    )
    exit = serializers.SlugField(required=False, allow_blank=True, default="")
    group_size = serializers.IntegerField(required=False, default=1, min_value=1, max_value=50)


class NextStopView(APIView):
    """Live re-routing: the next stop from where the visitor stands, with the crowd now."""

    permission_classes = [AllowAny]
    throttle_scope = "plan"

    @extend_schema(
        request=NextStopRequestSerializer,
        responses={200: dict},
        description=_(
            "The next object to see from the visitor's room, chosen again at every call from the "
            "rooms' occupancy now, the time left and what was seen; `stop` is null when it is "
            "time to head for the exit. `why` explains the choice."
        ),
    )
    def post(self, request: Request) -> Response:
        data = NextStopRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        from museum.planning import next_stop

        try:
            stop = next_stop.next_stop(
                room=values["room"],
                minutes_left=values["minutes_left"],
                seen=values["seen"],
                interests=values["interests"],
                themes=values["themes"],
                exit=values["exit"] or None,
                group_size=values["group_size"],
            )
        except planning_services.VisitPlanError as error:
            raise PlanInvalid(error) from error
        return Response(stop)
