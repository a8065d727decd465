"""The vocabulary curators keep for region annotations: damage types, iconography, materials."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class AnnotationGroup(models.TextChoices):
    DAMAGE = "damage", _("Damage")
    ICONOGRAPHY = "iconography", _("Iconography")
    MATERIAL = "material", _("Material")
    INSCRIPTION = "inscription", _("Inscription")
    OTHER = "other", _("Other")


class DamageClass(models.TextChoices):
    """The condition check's classes (restoration.damage.config.DAMAGE_CLASSES; a test keeps
    them equal: exhibits does not import restoration)."""

    CRACK = "crack", _("Crack")
    LOSS = "loss", _("Loss")
    CORROSION = "corrosion", _("Corrosion")
    FADING = "fading", _("Fading")


colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour is written #rrggbb."))


class AnnotationClass(models.Model):
    """A class of region annotation; one with a `damage_class` is counted by the condition
    record beside the detector's findings."""

    name = models.CharField(_("name"), max_length=120, unique=True, help_text=_("In English."))
    name_fr = models.CharField(_("name in French"), max_length=120, blank=True)
    group = models.CharField(
        _("group"), max_length=16, choices=AnnotationGroup.choices, default=AnnotationGroup.OTHER
    )
    colour = models.CharField(
        _("colour"), max_length=7, default="#e0a030", validators=[colour_validator]
    )
    damage_class = models.CharField(
        _("damage class"),
        max_length=16,
        choices=DamageClass.choices,
        blank=True,
        default="",
        help_text=_("The condition check's class its regions count as, if any."),
    )
    concept_uri = models.URLField(
        _("concept URI"),
        max_length=300,
        blank=True,
        help_text=_("A vocabulary term, e.g. a Getty AAT concept."),
    )
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("annotation class")
        verbose_name_plural = _("annotation classes")

    def __str__(self) -> str:
        return self.localized_name()

    def localized_name(self, language: str | None = None) -> str:
        """The name in `language` (default: the active one): French where one is written."""
        language = (language or get_language() or "en").lower()
        if language.startswith("fr") and self.name_fr:
            return self.name_fr
        return self.name
