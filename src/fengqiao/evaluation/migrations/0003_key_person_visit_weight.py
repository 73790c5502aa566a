"""The weight of the key-person visit completion (重点人员走访完成率), measurable since the
key-person registry (grid app) keeps visits: the default as it was when this migration was
written; later changes are made in the admin."""

from django.db import migrations


def forwards(apps, schema_editor):
    IndicatorWeight = apps.get_model("evaluation", "IndicatorWeight")
    IndicatorWeight.objects.get_or_create(code="key_person_visit_rate", defaults={"weight": 10})


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0002_default_weights"), ("core", "0003_audit_head_sealed")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
