from django.db import migrations


def grant(apps, schema_editor):
    from museum.roles import sync_role_permissions

    sync_role_permissions(apps)


class Migration(migrations.Migration):
    dependencies = [("restoration", "0001_condition_records"), ("museum", "0005_curation_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
