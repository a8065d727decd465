from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExhibitsConfig(AppConfig):
    """The collection, intake and curation (exhibits/collection, intake, curation)."""

    name = "exhibits"
    verbose_name = _("Collection and exhibitions")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from exhibits.curation import search_index
        from exhibits.intake import services as intake
        from exhibits.intake.errors import IntakeError
        from exhibits.models import Annotation, Artifact, Exhibition, ExhibitionItem
        from museum import jobs

        jobs.register(
            jobs.JobType(
                model_label="exhibits.Job",
                kind=intake.INTAKE_KIND,
                task="exhibits.tasks.ingest_task",
                expected=(IntakeError,),
                cleanup=intake.remove_attempt_files,
            )
        )
        jobs.register(
            jobs.JobType(
                model_label="exhibits.Job",
                kind=search_index.INDEX_KIND,
                task="exhibits.tasks.search_index_task",
            )
        )
        # A flat work's tiles go with their IIIF service, however it is deleted (#20).
        from exhibits.imaging.models import ImageService
        from exhibits.imaging.stored_tiles import service_deleted

        post_delete.connect(service_deleted, sender=ImageService, dispatch_uid="iiif-tiles-d")
        # An annotation's medium goes with it (#23).
        from django.db.models.signals import pre_save

        from exhibits.annotating import files as annotation_files

        pre_save.connect(
            annotation_files.remember_old_media, sender=Annotation, dispatch_uid="ann-media-p"
        )
        post_save.connect(
            annotation_files.media_replaced, sender=Annotation, dispatch_uid="ann-media-s"
        )
        post_delete.connect(
            annotation_files.annotation_deleted, sender=Annotation, dispatch_uid="ann-media-d"
        )
        # Every artifact change, however made, rebuilds the search index in the worker.
        post_save.connect(search_index.artifact_changed, sender=Artifact, dispatch_uid="index-s")
        post_delete.connect(search_index.artifact_changed, sender=Artifact, dispatch_uid="index-d")
        # So does a change of the texts attached to artifacts (labels, points of interest).
        changed = search_index.artifact_changed
        for model in (Annotation, Exhibition, ExhibitionItem):
            uid = f"index-{model.__name__}"
            post_save.connect(changed, sender=model, dispatch_uid=f"{uid}-s")
            post_delete.connect(changed, sender=model, dispatch_uid=f"{uid}-d")
