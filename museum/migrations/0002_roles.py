from django.db import migrations


# Roles are synced after every migrate by museum.apps (post_migrate); this step is kept so the
# migration graph stays the same.
class Migration(migrations.Migration):
    dependencies = [
        ("museum", "0001_initial"),
        ("exhibits", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)]
