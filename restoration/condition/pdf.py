"""The condition report as a PDF (fpdf2, pure Python): one section per analysed texture with
its pictures (texture, masks over it, Grad-CAM) and figures (pixel share, area in cm²).

Built once per content: `cached_condition_pdf` keys the shared cache with a digest of
everything the PDF shows of the records the requesting user may see (findings, corrections
in force, files, the check), so a change of any of them, or a release, makes a new key, and a
PDF built for a curator (with unreleased records) has a key no visitor's request computes.
Pictures are decoded at reduced size: JPEG through Image.draft (the DCT scales it down while
decoding: a 16k texture decodes at 2k), other formats only up to DECODE_MAX_PIXELS."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.cache import cache
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace
from PIL import Image

from exhibits.models import Artifact, Job
from museum.common import images
from restoration.condition import review
from restoration.condition.images import CLASS_COLOURS
from restoration.models import ConditionRecord

# A Unicode font when the system has one (titles may be in any script); else the core font,
# with characters outside Latin-1 replaced.
UNICODE_FONTS = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
)
PICTURE_PX = 700
# A picture that cannot be decoded at reduced size (PNG) is left out above this: 16M pixels
# (48 MB RGB); the job stores textures and Grad-CAM as JPEG, the overlay at most 1024 px.
DECODE_MAX_PIXELS = 4096 * 4096
PDF_CACHE_SECONDS = 24 * 3600
PDF_CACHE_MAX_BYTES = 16 * 1024 * 1024
LAYOUT_VERSION = 2  # bump when the PDF's layout changes: every cached PDF is rebuilt
logger = logging.getLogger(__name__)


class _Report(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(auto=True, margin=15)
        self.unicode = False
        for regular, bold in UNICODE_FONTS:
            path = Path(regular)
            if path.is_file() and (path.parent / bold).is_file():
                self.add_font("body", "", str(path))
                self.add_font("body", "B", str(path.parent / bold))
                self.unicode = True
                break
        self.family = "body" if self.unicode else "helvetica"

    def text_of(self, value: object) -> str:
        text = str(value)
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str, size: int = 14) -> None:
        self.set_font(self.family, size=size)
        self.multi_cell(0, size * 0.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def line_of(self, text: str, size: int = 9) -> None:
        self.set_font(self.family, size=size)
        self.multi_cell(0, 4.6, self.text_of(text), new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.cell(0, 6, f"{self.page_no()}", align="C")


def reduced_image(field: FieldFile, max_side: int = PICTURE_PX) -> Image.Image | None:
    """A stored image decoded at reduced size, at most `max_side` on its longest side, or None
    (missing, unreadable, or too large to decode without a reduced decoder)."""
    if not field:
        return None
    try:
        with (
            field.open("rb") as handle,
            images.open_image(handle, max_pixels=images.PILLOW_BOMB_PIXELS) as image,
        ):
            if image.format == "JPEG":
                image.draft("RGB", (max_side, max_side))  # decodes at 1/2, 1/4 or 1/8 scale
            elif image.width * image.height > DECODE_MAX_PIXELS:
                logger.info("%s: %dx%d, not decoded for the PDF", field.name, *image.size)
                return None
            picture = images.decode(image).convert("RGB")
            picture.thumbnail((max_side, max_side), reducing_gap=2.0)
            return picture
    except (OSError, ValueError):  # ImageReadError is a ValueError
        return None


def _picture(field: FieldFile) -> io.BytesIO | None:
    """A JPEG copy of a stored image, at most PICTURE_PX wide (keeps the PDF small)."""
    picture = reduced_image(field)
    if picture is None:
        return None
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG", quality=85)
    buffer.seek(0)
    return buffer


def content_version(
    *,
    artifact: Artifact,
    job: Job | None,
    records: Sequence[ConditionRecord],
    staff: bool = True,
    drawn: Sequence[dict[str, Any]] = (),
) -> str:
    """A digest of everything the PDF shows: it changes with any finding, correction in force,
    file, record (and so a release: the visible set changes), the check or the artifact."""
    shown = {
        "drawn": list(drawn),
        "layout": LAYOUT_VERSION,
        "language": get_language(),  # the PDF is written in the reader's language
        "artifact": [artifact.pk, artifact.title, artifact.object_number],
        "job": [job.pk, job.finished_at.isoformat() if job.finished_at else None] if job else None,
        "timezone": timezone.get_current_timezone_name(),
        "records": [
            {
                "record": [
                    record.pk,
                    record.image_index,
                    record.texture_name,
                    record.origin,
                    record.width_px,
                    record.height_px,
                    record.metres_per_pixel,
                    record.seconds,
                    record.model_version,
                    [field.name for field in (record.texture, record.overlay, record.explanation)],
                ],
                "findings": [
                    [f.pk, f.damage_class, f.pixel_share, f.area_cm2, f.review]
                    for f in review.shown_findings(record.findings.all(), staff=staff)
                ],
                "corrections": sorted([c.pk, c.damage_class] for c in record.applied_corrections),
            }
            for record in records
        ],
    }
    text = json.dumps(shown, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cached_condition_pdf(
    *,
    artifact: Artifact,
    job: Job | None,
    records: Sequence[ConditionRecord],
    staff: bool = True,
    drawn: Sequence[dict[str, Any]] = (),
) -> bytes:
    """`condition_pdf` from the shared cache, built on a miss. `records` (and `drawn`,
    restoration.condition.drawn) must already be what the requesting user may see (the key is
    made of them alone)."""
    version = content_version(artifact=artifact, job=job, records=records, staff=staff, drawn=drawn)
    key = f"mouseion:condition-pdf:{artifact.pk}:{version}"
    try:
        data = cache.get(key)
    except Exception:
        logger.warning("PDF cache unavailable", exc_info=True)
        data = None
    if data is not None:
        return bytes(data)
    data = condition_pdf(artifact=artifact, job=job, records=records, staff=staff, drawn=drawn)
    if len(data) <= PDF_CACHE_MAX_BYTES:
        try:
            cache.set(key, data, PDF_CACHE_SECONDS)
        except Exception:
            logger.warning("PDF cache unavailable", exc_info=True)
    return data


def _format_share(share: float) -> str:
    return _("%(percent)s %%") % {"percent": f"{share * 100:.2f}"}


def condition_pdf(
    *,
    artifact: Artifact,
    job: Job | None,
    records: Sequence[ConditionRecord],
    staff: bool = True,
    drawn: Sequence[dict[str, Any]] = (),
) -> bytes:
    pdf = _Report()
    pdf.set_title(_("Condition report: %(name)s") % {"name": artifact.object_number})
    pdf.set_creator("Mouseion")
    pdf.add_page()
    pdf.heading(_("Condition report: %(name)s") % {"name": artifact.title}, size=16)
    pdf.line_of(_("Object number: %(number)s") % {"number": artifact.object_number})
    checked = job.finished_at if job and job.finished_at else None
    if checked:
        local = timezone.localtime(checked)
        pdf.line_of(
            _("Checked: %(when)s (%(zone)s)")
            % {"when": f"{local:%Y-%m-%d %H:%M}", "zone": timezone.get_current_timezone_name()}
        )
    if not records:
        pdf.ln(4)
        pdf.line_of(
            _("No condition check has found a colour texture to analyse on this object yet.")
        )
        return bytes(pdf.output())
    pdf.line_of(_("Model version: %(version)s") % {"version": records[0].model_version})
    pdf.line_of(
        _(
            "Automated damage detection (crack, loss, corrosion, fading) on the textures of the "
            "3D scan. Figures are estimates for a conservator to review, not a diagnosis. Areas "
            "count the texture pixels the mesh uses, at a mean scale from its surface and UV areas."
        )
    )
    for record in records:
        pdf.ln(4)
        name = record.texture_name or _("unnamed")
        heading = (
            _("Image %(index)s: %(name)s") % {"index": record.image_index + 1, "name": name}
            if record.canvas_id is not None  # a flat work's image
            else _("Texture %(index)s: %(name)s") % {"index": record.image_index, "name": name}
        )
        pdf.heading(heading, size=12)
        scale = (
            _("%(mm)s mm per pixel") % {"mm": f"{record.metres_per_pixel * 1000:.3f}"}
            if record.metres_per_pixel
            else _("scale unknown")
        )
        pdf.line_of(
            _(
                "%(width)s x %(height)s px from the %(origin)s, %(scale)s; "
                "analysed in %(seconds)s s."
            )
            % {
                "width": record.width_px,
                "height": record.height_px,
                "origin": str(record.get_origin_display()).lower(),
                "scale": scale,
                "seconds": f"{record.seconds:.1f}",
            }
        )
        pictures = [
            (_("Texture"), _picture(record.texture)),
            (_("Damage masks"), _picture(record.overlay)),
            (_("Grad-CAM (crack)"), _picture(record.explanation)),
        ]
        width = (pdf.epw - 8) / 3
        if pdf.get_y() + width + 12 > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y() + 1
        for column, (caption, picture) in enumerate(pictures):
            left = pdf.l_margin + column * (width + 4)
            if picture is not None:
                pdf.image(picture, x=left, y=top, w=width, h=width, keep_aspect_ratio=True)
            pdf.set_xy(left, top + width + 1)
            pdf.set_font(pdf.family, size=8)
            pdf.cell(width, 4, pdf.text_of(caption), align="C")
        pdf.set_xy(pdf.l_margin, top + width + 7)
        _findings_table(pdf, record, staff=staff)
    if drawn:
        _drawn_table(pdf, drawn)
    return bytes(pdf.output())


def _drawn_table(pdf: _Report, drawn: Sequence[dict[str, Any]]) -> None:
    """Regions a conservator drew with a damage class (restoration.condition.drawn)."""
    pdf.ln(4)
    pdf.heading(_("Drawn by a conservator"), size=12)
    pdf.set_font(pdf.family, size=9)
    align = ("LEFT", "RIGHT", "RIGHT", "RIGHT")
    with pdf.table(col_widths=(30, 30, 30, 30), text_align=align) as table:
        header = table.row()
        for title in (_("Class"), _("Regions"), _("Area (cm²)"), _("Area (px)")):
            header.cell(pdf.text_of(title))
        for entry in drawn:
            row = table.row()
            colour = FontFace(color=CLASS_COLOURS.get(entry["class"], (0, 0, 0)))
            row.cell(pdf.text_of(entry["label"]), style=colour)
            row.cell(str(entry["count"]))
            cm2, px = entry["area_cm2"], entry["area_px"]
            row.cell("-" if cm2 is None else f"{cm2:.2f}")
            row.cell("-" if px is None else f"{px:.0f}")


def _findings_table(pdf: _Report, record: ConditionRecord, *, staff: bool) -> None:
    pdf.set_font(pdf.family, size=9)
    corrections: dict[str, int] = {}
    for correction in record.applied_corrections:  # carried forward, not retired
        corrections[correction.damage_class] = corrections.get(correction.damage_class, 0) + 1
    align = ("LEFT", "RIGHT", "RIGHT", "RIGHT")
    with pdf.table(col_widths=(30, 30, 30, 30), text_align=align) as table:
        header = table.row()
        for title in (_("Class"), _("Pixel share"), _("Area (cm²)"), _("Corrections")):
            header.cell(pdf.text_of(title))
        for finding in review.shown_findings(record.findings.all(), staff=staff):
            row = table.row()
            colour = FontFace(color=CLASS_COLOURS.get(finding.damage_class, (0, 0, 0)))
            row.cell(pdf.text_of(finding.get_damage_class_display()), style=colour)
            row.cell(_format_share(finding.pixel_share))
            row.cell(_("unknown") if finding.area_cm2 is None else f"{finding.area_cm2:.2f}")
            row.cell(str(corrections.get(finding.damage_class, 0)))
