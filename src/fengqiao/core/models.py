"""Core models: the append-only, hash-chained audit trail."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .restrict import RestrictedQuerySet


class AppendOnlyError(Exception):
    pass


class AuditQuerySet(RestrictedQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("audit records cannot be changed")

    def delete(self):
        raise AppendOnlyError("audit records cannot be deleted")


class AuditRecord(models.Model):
    """审计日志: one write or one view of personal data. Never deleted; changed once only, when
    it is sealed into the chain.

    Written with ``mac`` = HMAC(audit key, canonical JSON of its content) in the transaction of
    the change it records; sealed right after commit by :func:`fengqiao.core.audit.seal`,
    which gives it the next ``seq`` and ``hash`` = HMAC(audit key, ``prev_hash``, ``seq``,
    ``mac``). An edit, a deletion or a re-ordering breaks the chain at that record (``fengqiao
    audit verify``). Records of older versions have no ``mac``: their ``hash`` covers the
    content directly.
    """

    seq = models.BigIntegerField(_("sequence"), unique=True, null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True, db_index=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip = models.CharField(_("IP address"), max_length=64, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    mac = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64, blank=True)

    objects = AuditQuerySet.as_manager()

    ACCESS = {"view": frozenset({"auditor"})}

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        # few indexes: every record is written once and updated once (sealed)
        indexes = [
            models.Index(fields=["action"], name="audit_action_idx"),
            models.Index(fields=["object_type", "object_id", "id"], name="audit_object_id_idx"),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.actor_username or '-'} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("audit records cannot be deleted")

    @classmethod
    def jurisdiction_q(cls, user, action):
        return None  # auditors read the whole trail


class AuditChainHead(models.Model):
    """The last link of the chain; locked while a record is appended so links never fork."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    #: HMAC (audit key) of the head's position and link: without it, deleting the newest
    #: records and setting the head back to an earlier record's (stored) link went unnoticed.
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"audit chain head at seq {self.last_seq}"


class JobLease(models.Model):
    """A background job's lease (``core.leases``): who runs the job now, and until when the
    lease holds if they never give it back (a worker killed mid-job)."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("job lease")

    def __str__(self) -> str:
        return f"{self.name} until {self.expires_at:%Y-%m-%d %H:%M:%S}"


class WorkerBeat(models.Model):
    """A worker that runs the periodic jobs says it is alive (``core.heartbeat``): one row per
    worker process, its last beat written with the database's clock every minute."""

    holder = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField()

    class Meta:
        verbose_name = _("worker heartbeat")

    def __str__(self) -> str:
        return f"{self.holder} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
