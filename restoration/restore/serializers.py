"""REST serializers of restoration jobs (read-only) and of the request and review bodies."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from restoration.condition.serializers import file_url
from restoration.models import RestorationJob, RestoredRegion
from restoration.restore.services import METHOD_CHOICES

VIRTUAL_LABEL = _("Virtual restoration")


class RestoredRegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = RestoredRegion
        fields = [
            "id",
            "kind",
            "image_index",
            "damage_class",
            "bbox",
            "size",
            "method",
            "model_version",
            "score",
            "confidence",
            "seconds",
            "candidates",
        ]


class RestorationJobSerializer(serializers.ModelSerializer):
    """A restoration with its files and regions. Who asked and who reviewed, the options and
    the error are shown to curators only (context `curator`)."""

    label = serializers.SerializerMethodField()  # type: ignore[assignment]  # a field named "label" (Field.label in the stubs)
    regions = RestoredRegionSerializer(many=True, read_only=True)

    class Meta:
        model = RestorationJob
        fields = [
            "id",
            "artifact",
            "label",
            "kind",
            "status",
            "progress",
            "stage",
            "device",
            "timings",
            "review",
            "reviewed_at",
            "created_at",
            "started_at",
            "finished_at",
            "report",
            "regions",
        ]

    def get_label(self, job: RestorationJob) -> str:
        return str(VIRTUAL_LABEL)

    def to_representation(self, job: RestorationJob) -> dict[str, Any]:
        data = super().to_representation(job)
        for name in ("restored_model", "restored_texture", "generated_mask"):
            asset = getattr(job, name)
            data[f"{name}_url"] = file_url(asset.file if asset else None, self.context)
        data["job_url"] = reverse("restoration:api-job", args=[job.pk])
        if self.context.get("curator"):
            data.update(
                error=job.error,
                options=job.options,
                review_note=job.review_note,
                requested_by=job.requested_by.get_username() if job.requested_by else None,
                reviewed_by=job.reviewed_by.get_username() if job.reviewed_by else None,
                review_history=[
                    {
                        "decision": entry.decision,
                        "user": entry.user.get_username() if entry.user else None,
                        "note": entry.note,
                        "at": serializers.DateTimeField().to_representation(entry.at),
                        "taught_bandit": entry.taught_bandit,
                    }
                    for entry in job.reviews.select_related("user").order_by("at", "pk")
                ],
                accept_url=reverse("restoration:api-accept", args=[job.pk]),
                reject_url=reverse("restoration:api-reject", args=[job.pk]),
            )
        return data


class RestorationRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RestorationJob.Kind.choices)
    method = serializers.ChoiceField(
        choices=METHOD_CHOICES,
        required=False,
        help_text=_("Surface only: the inpainting method (default: auto, our best)."),
    )


class RestorationReviewSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
