"""Two signals of the key-person registry (grid app): a matter or an abnormal visit touching a key
person, and a visit overdue. Their rules are written here as they are at this migration (a
frozen copy of ``alerts.scan.DEFAULT_RULES``)."""

from django.db import migrations, models

RULES = [
    # kind, window_days, threshold, level, note
    ("key_person", 1, 1, "orange", "反映人与重点人员电话或身份证号一致;走访发现异常"),
    ("missed_visit", 30, 1, "yellow", "超过应走访日期的天数;超一个周期橙色,两个周期红色"),
]


def seed(apps, schema_editor):
    RiskRule = apps.get_model("alerts", "RiskRule")
    for kind, window, threshold, level, note in RULES:
        RiskRule.objects.get_or_create(kind=kind, defaults={"window_days": window, "threshold": threshold,
                                                            "level": level, "note": note})


class Migration(migrations.Migration):

    dependencies = [
        ('alerts', '0002_default_rules_and_terms'),
    ]

    operations = [
        migrations.AlterField(
            model_name='riskalert',
            name='kind',
            field=models.CharField(choices=[('language', 'Escalation language'), ('repeat_reporter', 'Same person again'), ('hot_topic', 'Same matter, many reporters'), ('spike', 'Spike by area and category'), ('reopened', 'Citizen unsatisfied again and again'), ('long_dispute', 'Dispute dragging on'), ('key_person', 'Touches a key person'), ('missed_visit', 'Key person not visited in time')], max_length=20, verbose_name='signal'),
        ),
        migrations.AlterField(
            model_name='riskrule',
            name='kind',
            field=models.CharField(choices=[('language', 'Escalation language'), ('repeat_reporter', 'Same person again'), ('hot_topic', 'Same matter, many reporters'), ('spike', 'Spike by area and category'), ('reopened', 'Citizen unsatisfied again and again'), ('long_dispute', 'Dispute dragging on'), ('key_person', 'Touches a key person'), ('missed_visit', 'Key person not visited in time')], max_length=20, unique=True, verbose_name='signal'),
        ),
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
