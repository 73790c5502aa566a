import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models


def seal_existing_head(apps, schema_editor):
    """Seal the head of an existing chain with the audit key (the same HMAC as
    ``core.audit.compute_head_mac``, written out here so the migration does not change when
    that module does)."""
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    key = settings.FENGQIAO_AUDIT_KEY.encode("utf-8")
    for head in AuditChainHead.objects.all():
        text = f"head|{int(head.last_seq)}|{head.last_hash}"
        head.mac = hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        head.save(update_fields=["mac"])


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_audit_sealed_after_commit"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(seal_existing_head, migrations.RunPython.noop),
    ]
