"""Admin registrations live with their domains; Django's autodiscovery imports this module."""

from restoration.condition import admin as condition_admin
from restoration.condition import corrections_admin
from restoration.restore import admin as restore_admin

__all__ = ["condition_admin", "corrections_admin", "restore_admin"]
