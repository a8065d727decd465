"""The app's models, defined in their domains (annotating, collection, curation, imaging) and
re-exported here so Django registers them under the `exhibits` label and `from exhibits.models
import ...` works."""

from exhibits.annotating.models import AnnotationClass, AnnotationGroup, DamageClass
from exhibits.collection.models import (
    Annotation,
    Artifact,
    ArtifactForm,
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
from exhibits.imaging.models import WEB_IMAGE, Canvas, ImageService, ScaleSource

__all__ = [
    "WEB_IMAGE",
    "Annotation",
    "AnnotationClass",
    "AnnotationGroup",
    "Artifact",
    "ArtifactEmbedding",
    "ArtifactForm",
    "Asset",
    "Canvas",
    "DamageClass",
    "DimensionsSource",
    "Exhibition",
    "ExhibitionItem",
    "ImageService",
    "Job",
    "PublicationStatus",
    "PublishedQuerySet",
    "ScaleSource",
    "SearchIndexSnapshot",
    "TagSuggestion",
    "TextStatus",
    "asset_upload_to",
]
