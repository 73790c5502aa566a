"""Cross-cutting: a generic audit record for every save/delete of our models.

Actions that write their own, more meaningful record wrap their writes in
``context.explicit_audit()`` so nothing is recorded twice.
"""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import audit, context

AUDITED_APPS = {"areas", "accounts", "workcal", "events", "triage", "mediation", "grid", "alerts", "metrics", "demo",
                "evaluation"}
# the audit trail itself, and triage's stored reading of a matter (a machine result,
# reproducible from the matter; what operators do with it is audited by their actions)
SKIP_MODELS = {"core.auditrecord", "core.auditchainhead", "triage.triageresult"}


def _audited(sender) -> bool:
    meta = sender._meta
    return meta.app_label in AUDITED_APPS and meta.label_lower not in SKIP_MODELS and context.auto_audit_enabled()


def _login_stamp(kwargs) -> bool:
    """Django's own ``last_login`` save at sign-in: the ``login`` record below covers it."""
    fields = kwargs.get("update_fields")
    return bool(fields) and set(fields) <= {"last_login"}


@receiver(pre_save)
def _remember_before(sender, instance, raw=False, **kwargs):
    if raw or not _audited(sender) or instance._state.adding or instance.pk is None or _login_stamp(kwargs):
        return
    old = sender._default_manager.filter(pk=instance.pk).first()
    instance._audit_before = audit.snapshot(old) if old is not None else None


@receiver(post_save)
def _record_save(sender, instance, created, raw=False, **kwargs):
    if raw or not _audited(sender) or _login_stamp(kwargs):
        return
    after = audit.snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if not created and before == after:
        return
    audit.record("create" if created else "update", instance, before=None if created else before, after=after)


@receiver(post_delete)
def _record_delete(sender, instance, **kwargs):
    if not _audited(sender):
        return
    audit.record("delete", instance, before=audit.snapshot(instance))


@receiver(user_logged_in)
def _login(sender, request, user, **kwargs):
    audit.record("login", user, actor=user)


@receiver(user_logged_out)
def _logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("logout", user, actor=user)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    audit.record("login_failed", object_type="accounts.user", object_repr=str(credentials.get("username", ""))[:150])
