"""Mask corrections belong to the texture (artifact + texture identity), not to one condition
record: they carry forward to later records of the same texture until a curator retires them."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def corrections_to_their_texture(apps, schema_editor):
    correction_model = apps.get_model("restoration", "MaskCorrection")
    for correction in correction_model.objects.select_related("record"):
        record = correction.record
        key = record.texture_key or f"i{record.image_index}-{record.width_px}x{record.height_px}"
        correction.artifact_id = record.artifact_id
        correction.texture_key = key
        correction.save(update_fields=["artifact", "texture_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("restoration", "0007_restoration_reviews"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="conditionrecord",
            name="texture_key",
            field=models.CharField(
                blank=True,
                db_index=True,
                help_text="Size and digest of the analysed pixels: curators' corrections carry "
                "forward to every record of the same texture of the artifact.",
                max_length=100,
                verbose_name="texture identity",
            ),
        ),
        migrations.AddField(
            model_name="maskcorrection",
            name="artifact",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="mask_corrections",
                to="exhibits.artifact",
            ),
        ),
        migrations.AddField(
            model_name="maskcorrection",
            name="texture_key",
            field=models.CharField(
                db_index=True, default="", max_length=100, verbose_name="texture identity"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="maskcorrection",
            name="retired_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="retired at"),
        ),
        migrations.AddField(
            model_name="maskcorrection",
            name="retired_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(corrections_to_their_texture, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="maskcorrection",
            name="artifact",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="mask_corrections",
                to="exhibits.artifact",
            ),
        ),
        migrations.AlterField(
            model_name="maskcorrection",
            name="record",
            field=models.ForeignKey(
                blank=True,
                help_text="The newest condition record of the texture it was drawn on or carried to.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="corrections",
                to="restoration.conditionrecord",
            ),
        ),
    ]
