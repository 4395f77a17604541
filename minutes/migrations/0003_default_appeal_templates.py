"""Default appeal instructions (KL 134–136 §, 140.3 §, R54, R55); municipalities may add their own."""

from django.db import migrations


def seed(apps, schema_editor):
    from minutes.appeals import DEFAULT_TEMPLATES

    AppealTemplate = apps.get_model("minutes", "AppealTemplate")
    for row in DEFAULT_TEMPLATES:
        AppealTemplate.objects.update_or_create(
            municipality=None, kind=str(row["kind"]), body_kind=row["body_kind"],
            item_type=str(row["item_type"]),
            defaults={"title": row["title"], "text": row["text"], "provision": row["provision"]},
        )


def unseed(apps, schema_editor):
    apps.get_model("minutes", "AppealTemplate").objects.filter(municipality=None).delete()


class Migration(migrations.Migration):
    dependencies = [("minutes", "0002_minutes_appealtemplate_minuteschecker_and_more")]
    operations = [migrations.RunPython(seed, unseed)]
