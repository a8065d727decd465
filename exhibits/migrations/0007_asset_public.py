

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exhibits', '0006_job_attempts'),
    ]

    operations = [
        migrations.AddField(
            model_name='asset',
            name='public',
            field=models.BooleanField(default=False, help_text='Visitors may fetch this file (once the artifact is published): a source the curator released, or a restoration a curator accepted. Web copies (LODs, thumbnails, textures) of a published artifact are always public.', verbose_name='public'),
        ),
    ]
