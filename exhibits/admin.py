"""Admin registrations live with their domains; Django's autodiscovery imports this module."""

from exhibits.annotating import admin as annotating_admin
from exhibits.collection import admin as collection_admin
from exhibits.curation import admin as curation_admin

__all__ = ["annotating_admin", "collection_admin", "curation_admin"]
