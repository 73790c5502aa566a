"""The weight row of the check-point inspection completion (平安点位巡查完成率), so the admin can
weight it: 0, the default when this migration was written (shown and compared year on year, not
scored until the centre chooses a weight; ADR 0401). Later changes are made in the admin."""

from django.db import migrations


def forwards(apps, schema_editor):
    IndicatorWeight = apps.get_model("evaluation", "IndicatorWeight")
    IndicatorWeight.objects.get_or_create(code="inspection_rate", defaults={"weight": 0})


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0003_key_person_visit_weight")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
