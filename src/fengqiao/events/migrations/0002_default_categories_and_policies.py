from django.db import migrations


def forwards(apps, schema_editor):
    from fengqiao.events.seed import seed_categories, seed_policies

    Category = apps.get_model("events", "Category")
    SlaPolicy = apps.get_model("events", "SlaPolicy")
    seed_categories(Category)
    seed_policies(SlaPolicy, Category)


class Migration(migrations.Migration):
    dependencies = [("events", "0001_matters")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
