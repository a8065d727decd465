from django.db import migrations


# Roles are synced after every migrate by museum.apps (post_migrate); this step is kept so the
# migration graph stays the same.
class Migration(migrations.Migration):
    dependencies = [("museum", "0006_live_tours")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
