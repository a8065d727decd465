from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExhibitsConfig(AppConfig):
    name = "exhibits"
    verbose_name = _("Collection and exhibitions")
