"""A starter vocabulary of region annotation classes (issue #23); curators keep it in the admin."""

from django.db import migrations

# (name, French name, group, colour, damage class); order follows the list.
STARTER = [
    ("Crack", "Fissure", "damage", "#d62728", "crack"),
    ("Loss", "Lacune", "damage", "#8c564b", "loss"),
    ("Corrosion", "Corrosion", "damage", "#2ca02c", "corrosion"),
    ("Fading", "Décoloration", "damage", "#bcbd22", "fading"),
    ("Restored zone", "Zone restaurée", "damage", "#17becf", ""),
    ("Inscription", "Inscription", "inscription", "#1f77b4", ""),
    ("Iconography", "Iconographie", "iconography", "#9467bd", ""),
    ("Material", "Matériau", "material", "#ff7f0e", ""),
]


def seed(apps, schema_editor):
    AnnotationClass = apps.get_model("exhibits", "AnnotationClass")
    for order, (name, name_fr, group, colour, damage) in enumerate(STARTER):
        AnnotationClass.objects.get_or_create(
            name=name,
            defaults={
                "name_fr": name_fr,
                "group": group,
                "colour": colour,
                "damage_class": damage,
                "order": order * 10,
            },
        )


def unseed(apps, schema_editor):
    AnnotationClass = apps.get_model("exhibits", "AnnotationClass")
    AnnotationClass.objects.filter(name__in=[row[0] for row in STARTER]).delete()


class Migration(migrations.Migration):
    dependencies = [("exhibits", "0011_annotation_regions")]

    operations = [migrations.RunPython(seed, unseed)]
