"""The history of model activations that rollback walks back (ADR 0113), seeded from what an
existing deployment holds.

Per kind, the ``triage_model_activate`` and ``triage_model_rollback`` audit records of its
versions are replayed in the order they were written:

- an activation pushes a row (source ``audit``, with the record's time and actor) on top of the
  one in effect;
- a rollback marks the row in effect undone when it is the version the rollback left; the old
  rule went back to what that version had replaced when it was last activated, so where it
  landed on a version the history does not have in effect (after switching back and forth), a
  row for that version is pushed (source ``inferred``); a rollback to the keyword rules marks
  every row undone (the old rollback could go no further either).

The history must end on the active version. When no audit record exists for the kind, the
active version's ``replaced`` pointers (migration 0003) are followed instead, oldest first, cut
where they loop. When the replay ends elsewhere (records missing, or a version activated
outside the actions), a row for the active version is pushed on top (``inferred``); when no
version is active, every row left is marked undone at the time of the migration. Inferred rows
carry the version's ``activated_at`` (or creation time) and no actor. Nothing is written to the
audit trail: rows are inserted with ``bulk_create``, which sends no signals.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import fengqiao.triage.models

ACTIVATE, ROLLBACK = "triage_model_activate", "triage_model_rollback"


def seed_history(apps, schema_editor):
    db = schema_editor.connection.alias
    ModelVersion = apps.get_model("triage", "ModelVersion")
    for kind in sorted(set(ModelVersion.objects.using(db).values_list("kind", flat=True))):
        _seed_kind(apps, db, kind)


def _seed_kind(apps, db, kind):
    ModelVersion = apps.get_model("triage", "ModelVersion")
    ModelActivation = apps.get_model("triage", "ModelActivation")
    AuditRecord = apps.get_model("core", "AuditRecord")
    User = apps.get_model(settings.AUTH_USER_MODEL)

    versions = {mv.pk: mv for mv in ModelVersion.objects.using(db).filter(kind=kind)}
    by_number = {mv.version: mv for mv in versions.values()}
    records = list(AuditRecord.objects.using(db).filter(
        action__in=[ACTIVATE, ROLLBACK], object_type="triage.modelversion",
        object_id__in=[str(pk) for pk in versions]).order_by("id"))
    users = set(User.objects.using(db).filter(pk__in={r.actor_id for r in records if r.actor_id})
                .values_list("pk", flat=True))
    stack = []  # the rows not undone, oldest first

    def push(mv, at, actor_id, source):
        row = ModelActivation(kind=kind, version_id=mv.pk, previous_id=stack[-1].pk if stack else None, at=at,
                              by_id=actor_id if actor_id in users else None, source=source)
        ModelActivation.objects.using(db).bulk_create([row])
        if row.pk is None:  # a database that does not return ids from bulk inserts
            row.pk = ModelActivation.objects.using(db).order_by("-pk").values_list("pk", flat=True).first()
        stack.append(row)

    def undo(at, actor_id):
        row = stack.pop()
        ModelActivation.objects.using(db).filter(pk=row.pk).update(
            undone_at=at, undone_by_id=actor_id if actor_id in users else None)

    def top_version():
        return stack[-1].version_id if stack else None

    for rec in records:
        mv = versions.get(int(rec.object_id))
        if mv is None:
            continue
        if rec.action == ACTIVATE:
            if top_version() != mv.pk:
                push(mv, rec.at, rec.actor_id, "audit")
            continue
        if top_version() == mv.pk:  # the rollback left mv
            undo(rec.at, rec.actor_id)
        landed = (rec.after or {}).get("active")
        if landed is None:
            while stack:
                undo(rec.at, rec.actor_id)
            continue
        target = by_number.get(landed)
        if target is not None and top_version() != target.pk:
            push(target, rec.at, rec.actor_id, "inferred")

    active = next((mv for mv in versions.values() if mv.is_active), None)
    if active is None:
        now = django.utils.timezone.now()
        while stack:
            undo(now, None)
    elif top_version() != active.pk:
        if not stack:
            chain, mv = [], active
            while mv is not None and mv not in chain:
                chain.append(mv)
                mv = versions.get(mv.replaced_id)
            for mv in reversed(chain):
                push(mv, mv.activated_at or mv.created_at, None, "inferred")
        else:
            push(active, active.activated_at or active.created_at, None, "inferred")


class Migration(migrations.Migration):

    dependencies = [
        ('triage', '0003_modelversion_replaced'),
        ('core', '0002_audit_sealed_after_commit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ModelActivation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('category', 'Category classifier')], default='category', max_length=20, verbose_name='kind')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='activated at')),
                ('undone_at', models.DateTimeField(blank=True, null=True, verbose_name='rolled back at')),
                ('source', models.CharField(choices=[('activation', 'Activation'), ('audit', 'Replayed from the audit trail'), ('inferred', 'Inferred when the history was created')], default='activation', max_length=12, verbose_name='source')),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='activated by')),
                ('previous', models.ForeignKey(blank=True, help_text='The activation in effect when this one was made; a rollback of this one returns to it (empty: the keyword rules)', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='triage.modelactivation', verbose_name='previous activation')),
                ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='rolled back by')),
                ('version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activations', to='triage.modelversion', verbose_name='model version')),
            ],
            options={
                'verbose_name': 'model activation',
                'verbose_name_plural': 'model activations',
                'ordering': ['kind', '-id'],
            },
            bases=(fengqiao.triage.models._Config, models.Model),
        ),
        migrations.RunPython(seed_history, migrations.RunPython.noop),
    ]
