"""The app's models, defined in their domains (collection, curation) and re-exported here so
Django registers them under the `exhibits` label and `from exhibits.models import ...` works."""

from exhibits.collection.models import (
    Annotation,
    Artifact,
    Asset,
    DimensionsSource,
    Exhibition,
    ExhibitionItem,
    Job,
    PublicationStatus,
    PublishedQuerySet,
    TextStatus,
    asset_upload_to,
)
from exhibits.curation.models import ArtifactEmbedding, SearchIndexSnapshot, TagSuggestion

__all__ = [
    "Annotation",
    "Artifact",
    "ArtifactEmbedding",
    "Asset",
    "DimensionsSource",
    "Exhibition",
    "ExhibitionItem",
    "Job",
    "PublicationStatus",
    "PublishedQuerySet",
    "SearchIndexSnapshot",
    "TagSuggestion",
    "TextStatus",
    "asset_upload_to",
]
