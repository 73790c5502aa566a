"""The default weights of the score (docs/evaluation.md §Score), as they were when this
migration was written: later changes are made in the admin, not here."""

from django.db import migrations

DEFAULT_WEIGHTS = {
    "sign_on_time_rate": 10,
    "resolve_on_time_rate": 20,
    "resolution_rate": 15,
    "satisfaction_rate": 20,
    "repeat_rate": 5,
    "return_rate": 5,
    "overdue": 10,
    "mediation_success_rate": 10,
    "hazard_rectification_rate": 5,
}


def forwards(apps, schema_editor):
    IndicatorWeight = apps.get_model("evaluation", "IndicatorWeight")
    for code, weight in DEFAULT_WEIGHTS.items():
        IndicatorWeight.objects.get_or_create(code=code, defaults={"weight": weight})


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0001_weights_and_publications")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
