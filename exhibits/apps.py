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
        from exhibits.models import Artifact
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
        # Every artifact change, however made, rebuilds the search index in the worker.
        post_save.connect(search_index.artifact_changed, sender=Artifact, dispatch_uid="index-s")
        post_delete.connect(search_index.artifact_changed, sender=Artifact, dispatch_uid="index-d")
