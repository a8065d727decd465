from django.db import migrations


def grant(apps, schema_editor):
    from museum.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("museum", "0004_floor_plan_roles"), ("exhibits", "0005_curation_fields")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
