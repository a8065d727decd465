"""Admin actions and a mixin for suggested exhibitions and generated texts (curation).

Curators stay in charge: every action makes drafts or marks texts; nothing is published here.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from exhibits.curation import services as curation_services
from exhibits.models import ExhibitionItem, TagSuggestion

# Suggesting makes a draft exhibition: curators may, educators (who only view artifacts) not.
SUGGEST_PERMISSION = "exhibits.add_exhibition"


def may_suggest_exhibitions(request: HttpRequest) -> bool:
    return request.user.has_perm(SUGGEST_PERMISSION)


@admin.action(
    description=_("Suggest an exhibition from the selected artifacts"),
    permissions=["suggest_exhibitions"],  # ArtifactAdmin.has_suggest_exhibitions_permission
)
def suggest_exhibitions_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> HttpResponse | None:
    """One draft exhibition, its themes as rooms: the curator chooses how many on a page in
    between (suggestion_admin.ask_for_rooms), then lands on the new exhibition."""
    import math

    from exhibits.curation import suggestions as suggestion_services
    from exhibits.curation.suggestion_admin import ask_for_rooms

    if not may_suggest_exhibitions(request):  # also when called past the admin's filter
        modeladmin.message_user(
            request, _("You may not suggest exhibitions: nothing was made."), messages.ERROR
        )
        return None
    count = queryset.count()
    if count < 2:
        modeladmin.message_user(request, _("Select at least two artifacts."), messages.WARNING)
        return None
    rooms, page = ask_for_rooms(modeladmin, request, queryset)
    if rooms is None:
        return page
    exhibition = suggestion_services.suggest_exhibition(
        artifacts=list(queryset),
        rooms=rooms,
        per_room=math.ceil(count / rooms),
        user=request.user,
        filters={"selected_in_admin": count},
    )
    made = len(exhibition.explanation.get("rooms", []))
    modeladmin.message_user(
        request,
        format_html(
            "{} {}",
            ngettext(
                "Draft exhibition suggested with %(rooms)d room:",
                "Draft exhibition suggested with %(rooms)d rooms:",
                made,
            )
            % {"rooms": made},
            exhibition.title,
        ),
        messages.SUCCESS,
    )
    return HttpResponseRedirect(reverse("admin:exhibits_exhibition_change", args=[exhibition.pk]))


@admin.action(description=_("Generate missing labels and introductions"), permissions=["change"])
def generate_labels_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    from exhibits.curation import suggestions as suggestion_services

    changed = sum(suggestion_services.generate_texts(exhibition=e) for e in queryset)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d text generated; texts written by a person were kept.",
            "%(count)d texts generated; texts written by a person were kept.",
            changed,
        )
        % {"count": changed},
        messages.SUCCESS,
    )


@admin.action(
    description=_("Accept the suggested rooms (build the gallery)"), permissions=["change"]
)
def accept_suggestion_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    from museum.building import services as building

    for exhibition in queryset:
        try:
            rooms = building.accept_suggestion(exhibition=exhibition)
        except ValidationError as exc:
            modeladmin.message_user(request, f"{exhibition}: {exc.messages[0]}", messages.WARNING)
            continue
        modeladmin.message_user(
            request,
            ngettext(
                "%(exhibition)s: %(rooms)d room on the floor plan.",
                "%(exhibition)s: %(rooms)d rooms on the floor plan.",
                len(rooms),
            )
            % {"exhibition": exhibition, "rooms": len(rooms)},
            messages.SUCCESS,
        )


@admin.action(description=_("Approve the generated texts"), permissions=["change"])
def approve_texts_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet
) -> None:
    from exhibits.curation import suggestions as suggestion_services

    count = sum(suggestion_services.approve_texts(exhibition=e) for e in queryset)
    modeladmin.message_user(
        request,
        ngettext("%(count)d text approved.", "%(count)d texts approved.", count) % {"count": count},
        messages.SUCCESS,
    )


class CuratedTextAdminMixin:
    """Marks an introduction or a wall label 'written' when a person edits it in the admin, so
    regenerating never overwrites it. Put it first in ExhibitionAdmin's bases."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from exhibits.models import TextStatus

        edited = {"introduction", "introduction_translations"} & set(form.changed_data)
        if edited and "introduction_status" not in form.changed_data:
            if edited == {"introduction"} and obj.introduction_status != TextStatus.WRITTEN:
                # Generated translations of the replaced text would be served to other languages.
                obj.introduction_translations = {}
            obj.introduction_status = TextStatus.WRITTEN
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        from exhibits.models import TextStatus

        if formset.model is ExhibitionItem:
            for item_form in formset.forms:
                edited = {"label_text", "label_translations"} & set(item_form.changed_data)
                if edited and "label_status" not in item_form.changed_data:
                    item = item_form.instance
                    if edited == {"label_text"} and item.label_status != TextStatus.WRITTEN:
                        item.label_translations = {}  # generated from the replaced text
                    item.label_status = TextStatus.WRITTEN
        super().save_formset(request, form, formset, change)  # type: ignore[misc]


# --- Tag suggestions (exhibits/curation/tagging.py) ---


@admin.register(TagSuggestion)
class TagSuggestionAdmin(admin.ModelAdmin):
    """Suggested classifications and materials from similar artifacts: accept writes the value
    onto the artifact, reject keeps it from being suggested again. Created by
    `manage.py refresh_embeddings --suggest-tags`."""

    list_display = ["artifact", "field", "value", "confidence_percent", "status", "decided_by"]
    list_filter = ["status", "field"]
    list_select_related = ["artifact", "decided_by"]
    search_fields = ["artifact__object_number", "artifact__title", "value"]
    actions = ["accept_suggestions", "reject_suggestions"]
    fields = [
        "artifact",
        "field",
        "value",
        "confidence_percent",
        "status",
        "evidence_table",
        "decided_by",
        "decided_at",
        "created_at",
    ]
    readonly_fields = cast(list[str], fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("confidence"), ordering="confidence")
    def confidence_percent(self, suggestion: TagSuggestion) -> str:
        return f"{suggestion.confidence:.0%}"

    @admin.display(description=_("evidence"))
    def evidence_table(self, suggestion: TagSuggestion) -> str:
        rows = [
            (
                item.get("object_number", ""),
                item.get("title", ""),
                f"{float(item.get('similarity', 0)):.2f}",
                item.get("value", ""),
            )
            for item in suggestion.evidence or []
            if isinstance(item, dict)
        ]
        if not rows:
            return "-"
        return format_html(
            '<table><caption>{}</caption><thead><tr><th scope="col">{}</th><th scope="col">{}'
            '</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead><tbody>{}</tbody>'
            "</table>",
            _("The most similar artifacts and their values"),
            _("object number"),
            _("title"),
            _("similarity"),
            _("their value"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    def _decide(self, request: HttpRequest, queryset: QuerySet, accept: bool) -> None:
        done = skipped = 0
        conflicts: list[str] = []
        for pk in list(queryset.values_list("pk", flat=True)):
            suggestion = TagSuggestion.objects.filter(
                pk=pk, status=TagSuggestion.Status.PENDING
            ).first()
            if suggestion is None:
                skipped += 1
                continue
            user = cast(User, request.user)  # the admin is for staff only
            if accept:
                try:
                    curation_services.accept_tag_suggestion(suggestion=suggestion, user=user)
                except curation_services.TagConflict as exc:
                    conflicts.extend(exc.messages)
                    continue
            else:
                curation_services.reject_tag_suggestion(suggestion=suggestion, user=user)
            done += 1
        message = (
            ngettext("%(count)d suggestion accepted.", "%(count)d suggestions accepted.", done)
            if accept
            else ngettext("%(count)d suggestion rejected.", "%(count)d suggestions rejected.", done)
        )
        self.message_user(request, message % {"count": done}, messages.SUCCESS)
        for conflict in conflicts:
            self.message_user(request, conflict, messages.ERROR)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d suggestion was already decided and was skipped.",
                    "%(count)d suggestions were already decided and were skipped.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Accept the selected suggestions"), permissions=["change"])
    def accept_suggestions(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, accept=True)

    @admin.action(description=_("Reject the selected suggestions"), permissions=["change"])
    def reject_suggestions(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, accept=False)
