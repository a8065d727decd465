from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RestorationConfig(AppConfig):
    """Condition checks (restoration/condition) and virtual restoration (restoration/restore)
    over the framework-free cores damage/, inpaint/ and mesh/."""

    name = "restoration"
    verbose_name = _("Restoration")

    def ready(self) -> None:
        from exhibits.intake.signals import intake_published
        from museum import jobs
        from restoration.condition import services as condition
        from restoration.restore import services as restore

        jobs.register(
            jobs.JobType(
                model_label="exhibits.Job",
                kind=condition.CONDITION_KIND,
                task="restoration.tasks.condition_check_task",
                cleanup=condition.remove_attempt_files,
            )
        )
        jobs.register(
            jobs.JobType(
                model_label="restoration.RestorationJob",
                kind=jobs.ANY_KIND,
                task="restoration.tasks.restore_artifact",
                expected=restore.input_errors(),
                cleanup=restore.remove_attempt_files,
            )
        )
        # Intake hands over to the condition check through a signal, not an import back up.
        intake_published.connect(
            condition.check_condition_after_intake, dispatch_uid="restoration.condition_check"
        )
