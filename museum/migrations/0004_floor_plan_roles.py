from django.db import migrations


def grant(apps, schema_editor):
    from museum.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("museum", "0003_floor_plan"), ("exhibits", "0004_item_room")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
