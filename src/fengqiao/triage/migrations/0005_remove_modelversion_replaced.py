"""``ModelVersion.replaced`` goes: the activation history (0004) says what each activation
replaced, and rollback follows the history. A separate migration from 0004, so that on
PostgreSQL the table is altered in a transaction of its own, not after 0004's inserts.

Going back, the field is filled again from the history: each version's ``replaced`` is what
its latest activation replaced (empty: the keyword rules).
"""

from django.db import migrations


def replaced_from_history(apps, schema_editor):
    db = schema_editor.connection.alias
    ModelVersion = apps.get_model("triage", "ModelVersion")
    ModelActivation = apps.get_model("triage", "ModelActivation")
    latest = {}
    for version_id, previous_version_id in (ModelActivation.objects.using(db).order_by("id")
                                            .values_list("version_id", "previous__version_id")):
        latest[version_id] = previous_version_id
    for version_id, replaced_id in latest.items():
        if replaced_id is not None and replaced_id != version_id:
            ModelVersion.objects.using(db).filter(pk=version_id).update(replaced_id=replaced_id)


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0004_model_activation_history'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, replaced_from_history),
        migrations.RemoveField(
            model_name='modelversion',
            name='replaced',
        ),
    ]
