from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("museum", "0008_tour_audio_names")]

    operations = [
        migrations.AddField(
            model_name="tourquestion",
            name="asker",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
    ]
