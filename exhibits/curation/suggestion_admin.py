"""The admin side of suggested exhibitions (#22 item 13): the curator chooses the number of
rooms before anything is made, and each suggested room shows, next to its objects, why they
were grouped, in words rather than scores."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.contrib.admin import helpers
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from exhibits.models import Artifact, Exhibition

SUGGEST_PER_ROOM = 20  # objects per room the default number of rooms aims at
SUGGEST_MAX_ROOMS = 12
# Similarity of a room's objects to its centre, or of a room to the next, put in words. Cosine
# similarities of text embeddings: thresholds read from the demo and the Walters collection.
CLOSE, RELATED = 0.5, 0.25


def default_rooms(count: int) -> int:
    return max(1, min(SUGGEST_MAX_ROOMS, count, math.ceil(count / SUGGEST_PER_ROOM)))


class SuggestExhibitionForm(forms.Form):
    rooms = forms.IntegerField(
        label=gettext_lazy("Number of rooms"),
        min_value=1,
        help_text=gettext_lazy("One theme per room; the objects are shared out evenly."),
    )

    def __init__(self, *args: Any, selected: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        most = min(SUGGEST_MAX_ROOMS, max(1, selected))  # no more rooms than objects
        field = self.fields["rooms"]
        field.validators.append(MaxValueValidator(most))
        field.widget.attrs.update(min=1, max=most)


def ask_for_rooms(
    modeladmin: Any, request: HttpRequest, queryset: QuerySet[Artifact]
) -> tuple[int | None, TemplateResponse | None]:
    """The number of rooms the curator chose, or the page that asks for it (first time, or
    again with the form's errors)."""
    count = queryset.count()
    if "apply" in request.POST:
        form = SuggestExhibitionForm(request.POST, selected=count)
        if form.is_valid():
            return form.cleaned_data["rooms"], None
    else:
        form = SuggestExhibitionForm(initial={"rooms": default_rooms(count)}, selected=count)
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Suggest an exhibition"),
        "opts": modeladmin.model._meta,
        "form": form,
        "count": count,
        "examples": list(queryset.order_by("object_number")[:8]),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "per_room": SUGGEST_PER_ROOM,
    }
    page = TemplateResponse(request, "admin/exhibits/suggest_exhibition.html", context)
    return None, page


def _closeness(similarity: float | None) -> str:
    if similarity is None:
        return ""
    if similarity >= CLOSE:
        return _("closely related")
    if similarity >= RELATED:
        return _("related")
    return _("a change of subject")


def _term_list(room: dict[str, Any], size: int) -> str:
    terms = [term for term in room.get("terms", []) if isinstance(term, dict)][:4]
    return ", ".join(
        _("“%(term)s” (%(count)d of %(size)d)")
        % {"term": term.get("term", ""), "count": term.get("count", 0), "size": size}
        for term in terms
    )


def suggested_rooms_html(exhibition: Exhibition) -> SafeString | str:
    """Each suggested room with its objects and, beside them, why they were grouped."""
    rooms = [room for room in exhibition.explanation.get("rooms", []) if isinstance(room, dict)]
    if not rooms:
        return "-"
    ids = {pk for room in rooms for pk in room.get("artifacts", [])}
    artifacts = Artifact.objects.in_bulk(ids)
    sections = []
    for number, room in enumerate(rooms, 1):
        members = [artifacts[pk] for pk in room.get("artifacts", []) if pk in artifacts]
        size = len(members)
        central = [
            artifacts[entry["artifact"]].title
            for entry in room.get("central", [])
            if isinstance(entry, dict) and entry.get("artifact") in artifacts
        ]
        reasons = [
            _("Most of them mention %(terms)s.") % {"terms": _term_list(room, size)}
            if room.get("terms")
            else "",
            _("In order of date.")
            if room.get("ordered_by") == "date"
            else _("In order of likeness."),
            _("Most typical: %(titles)s.") % {"titles": ", ".join(central)} if central else "",
            _("Alike within the room: %(how)s.") % {"how": _closeness(room.get("cohesion"))}
            if room.get("cohesion") is not None
            else "",
            _("The next room is %(how)s.") % {"how": _closeness(room.get("similarity_to_next"))}
            if room.get("similarity_to_next") is not None
            else "",
        ]
        objects = format_html_join(
            "",
            '<li><a href="{}">{}</a> {}</li>',
            (
                (reverse("admin:exhibits_artifact_change", args=[a.pk]), a.object_number, a.title)
                for a in members
            ),
        )
        sections.append(
            format_html(
                '<section class="suggested-room" aria-labelledby="suggested-room-{n}">'
                '<h3 id="suggested-room-{n}">{heading}</h3>'
                '<div class="suggested-room__body"><ol class="suggested-room__objects">{objects}'
                '</ol><div class="suggested-room__why"><h4>{why}</h4>{reasons}</div></div>'
                "</section>",
                n=number,
                heading=_("Room %(number)d: %(name)s (%(objects)s)")
                % {
                    "number": number,
                    "name": room.get("name", ""),
                    "objects": ngettext("%(n)d object", "%(n)d objects", size) % {"n": size},
                },
                objects=objects,
                why=_("Why these are together"),
                reasons=format_html_join("", "<p>{}</p>", ((r,) for r in reasons if r)),
            )
        )
    return format_html(
        '<div class="suggested-rooms">{}</div>',
        format_html_join("", "{}", ((s,) for s in sections)),
    )
