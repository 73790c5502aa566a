"""Why a matter waits for a person (``TriageResult.person_reasons``), stored beside the flag.

Results that still need a person are given their reasons from what they hold: an error, no
category, a first category under the confidence threshold (as configured now), a place
conflict, no handling unit.
"""

from django.conf import settings
from django.db import migrations, models

CONFIDENCE = 0.5  # service.DEFAULT_CONFIDENCE when this migration was written


def backfill(apps, schema_editor):
    TriageResult = apps.get_model("triage", "TriageResult")
    threshold = getattr(settings, "FENGQIAO_TRIAGE_CONFIDENCE", None) or CONFIDENCE
    for r in TriageResult.objects.filter(needs_person=True).select_related("event").iterator(chunk_size=500):
        if r.error:
            reasons = ["triage_failed"]
        else:
            reasons = []
            if r.event.category_id is None:
                if not r.categories:
                    reasons.append("no_category")
                elif (r.top_confidence or 0.0) < float(threshold):
                    reasons.append("unsure")
            if r.place_conflict:
                reasons.append("place_conflict")
            if r.route_area_id is None and r.route_department_id is None:
                reasons.append("no_route")
        TriageResult.objects.filter(pk=r.pk).update(person_reasons=reasons)


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0008_route_facts'),
    ]

    operations = [
        migrations.AddField(
            model_name='triageresult',
            name='person_reasons',
            field=models.JSONField(blank=True, default=list, verbose_name='why a person is needed'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
