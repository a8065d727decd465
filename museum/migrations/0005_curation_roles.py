from django.db import migrations


# Roles are synced after every migrate by museum.apps (post_migrate); this step is kept so the
# migration graph stays the same.
class Migration(migrations.Migration):
    dependencies = [("museum", "0004_floor_plan_roles"), ("exhibits", "0005_curation_fields")]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
