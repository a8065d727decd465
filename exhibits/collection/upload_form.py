"""The admin's upload of a source file (#22 item 11): the same options as the API upload (unit,
up axis), validated by its serializer, then stored by the intake service."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from exhibits.collection import services
from exhibits.collection.serializers import AssetUploadSerializer
from exhibits.models import Asset, Job

StrOrPromise = str | Promise


def _api_choices(name: str, blank: StrOrPromise) -> list[tuple[str, StrOrPromise]]:
    """The choices of the API upload's field `name` (one list for both ways in), after `blank`."""
    field = AssetUploadSerializer().fields[name]
    assert isinstance(field, serializers.ChoiceField)
    return [("", blank), *((str(key), str(label)) for key, label in field.choices.items())]


class SourceUploadForm(forms.ModelForm):
    """Adds a new source asset: the upload is checked and stored by the intake service. Unit
    and up axis are the API upload's options, validated by its serializer."""

    upload = forms.FileField(
        label=_("file"),
        help_text=_("A mesh (GLB, glTF, OBJ, PLY, STL) or an image; stored untouched."),
    )
    unit = forms.ChoiceField(
        label=_("unit"),
        required=False,
        choices=_api_choices("unit", _("Guess from the size")),
        help_text=_("Unit of the file's coordinates (meshes only)."),
    )
    up_axis = forms.ChoiceField(
        label=_("up axis"),
        required=False,
        choices=_api_choices("up_axis", _("The format's usual axis")),
        help_text=_(
            "The axis that points up in the file: y for glTF, often z for scanners and CAD "
            "(meshes only)."
        ),
    )

    class Meta:
        model = Asset
        fields = ["artifact", "label"]
        help_texts = {
            "label": _(
                "Optional: a short name that tells this source apart, e.g. 'laser scan 2024'. "
                "The web copies made from it get their own names."
            )
        }

    stored: Asset | None = None
    job: Job | None = None

    def _intake_options(self) -> dict[str, object] | None:
        """Unit and up axis through the API upload's serializer; None (and form errors) when
        it refuses them."""
        given = {
            key: self.cleaned_data[key] for key in ("unit", "up_axis") if self.cleaned_data.get(key)
        }
        options = AssetUploadSerializer(data=given, partial=True)
        if options.is_valid():
            return options.intake_options()
        for name, problems in options.errors.items():
            self.add_error(name if name in self.fields else None, [str(p) for p in problems])
        return None

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # private ModelForm hook, not in the stubs
        if self.errors:
            return
        intake_options = self._intake_options()
        if intake_options is None:
            return
        # Stored as the last validation step, so that the service's verdict on the file (format,
        # size, readable mesh) shows on the form. AssetAdmin's add view runs outside the admin's
        # transaction: the service writes the file first, then creates the rows in its own.
        upload = self.cleaned_data["upload"]
        try:
            self.stored, self.job = services.add_source_asset(
                artifact=self.cleaned_data["artifact"],
                upload=upload,
                filename=upload.name,
                max_bytes=settings.MOUSEION_MAX_UPLOAD_BYTES,
                label=self.cleaned_data.get("label", ""),
                intake_options=intake_options,
            )
        except ValidationError as exc:
            self.add_error("upload", exc.messages)

    def save(self, commit: bool = True) -> Asset:
        if self.stored is None:
            raise ValueError("save() called on an invalid upload form")
        self.instance = self.stored
        self.save_m2m = lambda: None  # type: ignore[method-assign]  # nothing to save later
        return self.stored
