from django.db import migrations


def grant(apps, schema_editor):
    from museum.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("museum", "0006_live_tours")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
