

import django.core.validators
import museum.tours.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('museum', '0007_live_tour_roles'),
    ]

    operations = [
        migrations.AlterField(
            model_name='tourstop',
            name='audio',
            field=models.FileField(blank=True, help_text="Optional narration clip played on followers' devices (MP3, Ogg, M4A, WAV).", upload_to=museum.tours.models.tour_audio_upload_to, validators=[django.core.validators.FileExtensionValidator(['mp3', 'ogg', 'oga', 'opus', 'm4a', 'wav', 'webm']), museum.tours.models.validate_audio_size], verbose_name='audio clip'),
        ),
    ]
