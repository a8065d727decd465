from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExhibitsConfig(AppConfig):
    """The collection, intake and curation (exhibits/collection, intake, curation)."""

    name = "exhibits"
    verbose_name = _("Collection and exhibitions")

    def ready(self) -> None:
        from exhibits.intake import services as intake
        from exhibits.intake.errors import IntakeError
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
