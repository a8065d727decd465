"""The visitor side's models, defined in their domains (building, tours) and re-exported here so
Django registers them under the `museum` label; no table moved."""

from museum.analytics.models import VisitCount
from museum.building.models import Floor, Passage, Room
from museum.tours.models import (
    LiveTour,
    LiveTourEvent,
    Tour,
    TourQuestion,
    TourStop,
    validate_audio_size,  # named by migration 0006
)

__all__ = [
    "Floor",
    "LiveTour",
    "LiveTourEvent",
    "Passage",
    "Room",
    "Tour",
    "TourQuestion",
    "TourStop",
    "VisitCount",
    "validate_audio_size",
]
