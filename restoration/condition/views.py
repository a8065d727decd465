"""Condition report pages: HTML (with the correction tools for curators) and PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from exhibits.collection.permissions import visible_artifacts
from exhibits.models import Artifact
from museum.throttling import throttled_view
from museum.uploads import upload_limit
from restoration.condition import drawn, review, services, visibility
from restoration.condition.images import MASK_MAX_BYTES
from restoration.condition.serializers import damage_classes
from restoration.models import DAMAGE_CLASS_CHOICES, ConditionRecord, DamageFinding


def _artifact(request: HttpRequest, pk: int) -> Artifact:
    """Published artifacts for everyone, drafts for users allowed to view them."""
    return get_object_or_404(visible_artifacts(request.user), pk=pk)


@upload_limit(MASK_MAX_BYTES)  # the mask upload is refused while it arrives
@throttled_view("upload", methods=("POST",))  # the page's mask upload form
def condition_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Findings per texture with pictures and figures; curators also correct masks here."""
    artifact = _artifact(request, pk)
    if request.method == "POST" and request.POST.get("action") == "review":
        return _review_finding(request, artifact)
    if request.method == "POST":
        return _upload_correction(request, artifact)
    job, records = services.latest_records(artifact)
    records = visibility.visible_records(records, request.user)
    can_correct = request.user.has_perm("restoration.add_maskcorrection")
    staff = visibility.sees_unreleased(request.user)
    colours = {entry["name"]: entry["colour"] for entry in damage_classes()}
    for record in records:
        shown = visibility.visible_findings(record, request.user)
        classes = record.summary.get("classes", {}) if isinstance(record.summary, dict) else {}
        record.finding_rows = [  # type: ignore[attr-defined]  # for the template only
            {
                "finding": finding,
                "colour": colours.get(finding.damage_class, "#fff"),
                "percent": finding.pixel_share * 100,
                "uncertain": _percent(classes.get(finding.damage_class, {}).get("uncertain_share")),
            }
            for finding in shown
        ]
        # The combined overlay and probability map show every class: to visitors only when no
        # class was dismissed or is still unreviewed (they would show what a curator refused).
        record.shows_combined = staff or len(shown) == record.findings.count()  # type: ignore[attr-defined]
    context = {
        "artifact": artifact,
        "job": job,
        "records": records,
        "classes": damage_classes(),
        "class_choices": DAMAGE_CLASS_CHOICES,
        "can_correct": can_correct,
        "can_review": request.user.has_perm("restoration.change_damagefinding"),
        "staff": staff,
        "decisions": [
            (DamageFinding.Review.ACCEPTED, _("Accept")),
            (DamageFinding.Review.DISMISSED, _("Dismiss: not damage")),
        ],
        "can_check": request.user.has_perm("restoration.add_conditionrecord"),
        "mask_max_mb": MASK_MAX_BYTES // (1024 * 1024),
        # Regions a conservator drew with a damage class, beside the detector's figures.
        "drawn": drawn.shown_to(artifact, records_seen=bool(records), staff=staff),
    }
    return render(request, "restoration/condition_report.html", context)


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _review_finding(request: HttpRequest, artifact: Artifact) -> HttpResponse:
    """A curator accepts or dismisses one finding (the report page's review buttons)."""
    if not request.user.has_perm("restoration.change_damagefinding"):
        raise PermissionDenied
    finding = get_object_or_404(
        DamageFinding.objects.filter(record__artifact=artifact), pk=request.POST.get("finding", "")
    )
    try:
        review.review_finding(
            finding=finding, decision=request.POST.get("decision", ""), by=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The review was saved."))
    return redirect("condition:report", pk=artifact.pk)


def _upload_correction(request: HttpRequest, artifact: Artifact) -> HttpResponse:
    """The report page's upload form (the canvas editor posts to the API instead)."""
    if not request.user.has_perm("restoration.add_maskcorrection"):
        raise PermissionDenied
    record = get_object_or_404(
        ConditionRecord.objects.filter(artifact=artifact), pk=request.POST.get("record", "")
    )
    upload = request.FILES.get("mask")
    try:
        if upload is None:
            raise ValidationError(_("Choose a mask image to upload."))
        if (upload.size or 0) > MASK_MAX_BYTES:
            raise ValidationError(_("The mask file is larger than the limit."))
        services.save_mask_correction(
            record=record,
            damage_class=request.POST.get("damage_class", ""),
            data=upload.read(),
            author=request.user,
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The corrected mask was saved."))
    return redirect("condition:report", pk=artifact.pk)


@throttled_view("pdf")
def condition_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The same report as a PDF (inline; saved as condition-<object number>.pdf)."""
    # Imported here: fpdf costs ~0.3 s of every web process's start for a rarely asked page.
    from restoration.condition.pdf import cached_condition_pdf

    artifact = _artifact(request, pk)
    job, records = services.latest_records(artifact)
    records = visibility.visible_records(records, request.user)
    data = cached_condition_pdf(
        artifact=artifact,
        job=job,
        records=records,
        staff=visibility.sees_unreleased(request.user),
        drawn=drawn.shown_to(
            artifact, records_seen=bool(records), staff=visibility.sees_unreleased(request.user)
        ),
    )
    response = HttpResponse(data, content_type="application/pdf")
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in artifact.object_number)
    response["Content-Disposition"] = f'inline; filename="condition-{safe}.pdf"'
    return response
