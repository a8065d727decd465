"""Admin registrations live with their domains; Django's autodiscovery imports this module."""

from museum import jobs_admin
from museum.building import admin as building_admin
from museum.tours import admin as tours_admin

__all__ = ["building_admin", "jobs_admin", "tours_admin"]
