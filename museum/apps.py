from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MuseumConfig(AppConfig):
    name = "museum"
    verbose_name = _("Museum")
