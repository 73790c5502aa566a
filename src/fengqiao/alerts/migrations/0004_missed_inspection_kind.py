"""A signal of the check-point registry (grid app): an inspection overdue. Its rule is written
here as it is at this migration (a frozen copy of ``alerts.scan.DEFAULT_RULES``), so the admin,
which edits the rules and never adds one, has its row."""

from django.db import migrations, models

RULES = [
    # kind, window_days, threshold, level, note
    ("missed_inspection", 30, 1, "yellow", "超过应巡查日期的天数;超一个周期橙色,两个周期红色"),
]


def seed(apps, schema_editor):
    RiskRule = apps.get_model("alerts", "RiskRule")
    for kind, window, threshold, level, note in RULES:
        RiskRule.objects.get_or_create(kind=kind, defaults={"window_days": window, "threshold": threshold,
                                                            "level": level, "note": note})


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0003_key_person_signals'),
    ]

    operations = [
        migrations.AlterField(
            model_name='riskalert',
            name='kind',
            field=models.CharField(choices=[('language', 'Escalation language'), ('repeat_reporter', 'Same person again'), ('hot_topic', 'Same matter, many reporters'), ('spike', 'Spike by area and category'), ('reopened', 'Citizen unsatisfied again and again'), ('long_dispute', 'Dispute dragging on'), ('key_person', 'Touches a key person'), ('missed_visit', 'Key person not visited in time'), ('missed_inspection', 'Check-point not inspected in time')], max_length=20, verbose_name='signal'),
        ),
        migrations.AlterField(
            model_name='riskrule',
            name='kind',
            field=models.CharField(choices=[('language', 'Escalation language'), ('repeat_reporter', 'Same person again'), ('hot_topic', 'Same matter, many reporters'), ('spike', 'Spike by area and category'), ('reopened', 'Citizen unsatisfied again and again'), ('long_dispute', 'Dispute dragging on'), ('key_person', 'Touches a key person'), ('missed_visit', 'Key person not visited in time'), ('missed_inspection', 'Check-point not inspected in time')], max_length=20, unique=True, verbose_name='signal'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
