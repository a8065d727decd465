"""Provenance of edited fields (#16): who set the dimensions, and the last imported values."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("exhibits", "0007_asset_public")]

    operations = [
        migrations.AddField(
            model_name="artifact",
            name="dimensions_source",
            field=models.CharField(
                blank=True,
                choices=[("measured", "Measured from the scan"), ("person", "Entered by a person")],
                default="",
                help_text="Measured from the scan, or entered by a person (then intake keeps them).",
                max_length=16,
                verbose_name="dimensions from",
            ),
        ),
        migrations.AddField(
            model_name="artifact",
            name="imported_record",
            field=models.JSONField(
                blank=True,
                default=dict,
                editable=False,
                help_text="{field: value} of the last import; a field whose value differs was "
                "edited.",
                verbose_name="last imported values",
            ),
        ),
    ]
