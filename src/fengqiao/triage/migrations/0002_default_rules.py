"""Seed the cold-start keyword rules (and routing rules whose departments exist)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from fengqiao.triage.seed import seed_keyword_rules, seed_routing_rules

    Category = apps.get_model("events", "Category")
    seed_keyword_rules(apps.get_model("triage", "KeywordRule"), Category)
    seed_routing_rules(apps.get_model("triage", "RoutingRule"), Category, apps.get_model("areas", "Department"))


class Migration(migrations.Migration):
    dependencies = [
        ("triage", "0001_triage_models"),
        ("events", "0002_default_categories_and_policies"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
