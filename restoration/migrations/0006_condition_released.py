from django.db import migrations, models


def accepted_restorations_public(apps, schema_editor):
    """Restored files of restorations accepted before the flag existed stay visible."""
    job_model = apps.get_model("restoration", "RestorationJob")
    asset_model = apps.get_model("exhibits", "Asset")
    ids = set()
    for job in job_model.objects.filter(review="accepted"):
        ids |= {job.restored_model_id, job.restored_texture_id, job.generated_mask_id}
        ids |= set((job.report or {}).get("assets", {}).get("textures", []) or [])
        ids |= set((job.report or {}).get("assets", {}).get("masks", []) or [])
    ids.discard(None)
    asset_model.objects.filter(pk__in=ids, kind="restored").update(public=True)


class Migration(migrations.Migration):
    dependencies = [
        ("restoration", "0005_job_attempts"),
        ("exhibits", "0007_asset_public"),
    ]

    operations = [
        migrations.AddField(
            model_name="conditionrecord",
            name="released",
            field=models.BooleanField(
                default=False,
                help_text="Visitors see this condition record and its images once a curator releases it.",
                verbose_name="released to visitors",
            ),
        ),
        migrations.RunPython(accepted_restorations_public, migrations.RunPython.noop),
    ]
