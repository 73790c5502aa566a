"""Writing and verifying the audit trail (审计日志)."""

from __future__ import annotations

import atexit
import datetime as dt
import decimal
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from . import context, rows
from .models import AuditChainHead, AuditRecord
from .personal import mask_nested

GENESIS = "0" * 64
log = logging.getLogger(__name__)


def _default(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


class Canonical(dict):
    """A dict already in canonical form (what :func:`snapshot` returns): not converted again."""


#: what stands for a NUL in a recorded text: PostgreSQL's JSON and text columns cannot hold
#: NUL, and an audit record must be written whatever a request held (a query string of an
#: export, say)
NUL_SIGN = "\u2400"


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", NUL_SIGN)
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def canonical(value) -> object:
    """JSON-safe value that survives a round trip through any database's JSON column (a NUL in a
    text is recorded as :data:`NUL_SIGN`)."""
    if isinstance(value, Canonical):
        return value
    text = json.dumps(value, default=_default, ensure_ascii=False, sort_keys=True)
    plain = json.loads(text)
    # JSON writes a NUL as \u0000: only then is the value walked (every action records one)
    return _without_nul(plain) if "\\u0000" in text else plain


def _content(rec: AuditRecord) -> dict:
    return {
        "at": rec.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "actor_id": rec.actor_id,
        "actor_username": rec.actor_username,
        "action": rec.action,
        "object_type": rec.object_type,
        "object_id": rec.object_id,
        "object_repr": rec.object_repr,
        "before": rec.before,
        "after": rec.after,
        "ip": rec.ip,
        "request_id": rec.request_id,
        "channel": rec.channel,
    }


def _json(data: dict) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _hmac(text: str) -> str:
    key = settings.FENGQIAO_AUDIT_KEY.encode("utf-8")
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def compute_mac(rec: AuditRecord) -> str:
    """The record's own seal: HMAC of its content, written with the record."""
    return _hmac(_json(_content(rec)))


def compute_link(prev_hash: str, seq: int, mac: str) -> str:
    """The chain link of record ``seq``: HMAC over the previous link, the position and the
    record's own seal."""
    return _hmac(f"{prev_hash}|{seq}|{mac}")


def compute_head_mac(last_seq: int, last_hash: str) -> str:
    """The chain head's seal: HMAC over its position and link. Records removed from the end of
    the chain, with the head set back to an earlier record's link, no longer match it."""
    return _hmac(f"head|{int(last_seq)}|{last_hash}")


def compute_hash(prev_hash: str, rec: AuditRecord) -> str:
    """The link of a record written before sealing existed (``mac`` empty): one HMAC over the
    previous link and the content including ``seq``. Kept so older trails still verify."""
    return _hmac(prev_hash + _json({"seq": rec.seq, **_content(rec)}))


#: fields whose value a record never holds, only a fingerprint that changes with it (a
#: password's hash, the demo accounts' shown password)
SECRET_FIELDS = frozenset({"password", "demo_password"})


def snapshot(instance: models.Model) -> dict:
    """Field values of a model instance for before/after, personal data masked, and the numbers
    in its free text (``FREE_TEXT_FIELDS``) masked too."""
    from .fields import PersonalDataField, PersonalDigestField

    data = {}
    free_text = getattr(instance, "FREE_TEXT_FIELDS", ())
    for f in instance._meta.concrete_fields:
        if isinstance(f, PersonalDigestField):
            continue
        value = getattr(instance, f.attname)
        if f.name in SECRET_FIELDS:
            # never the secret, but its change shows: an administrator's password reset is an
            # update of that user, with the actor, like any other
            value = ("sha256:" + hashlib.sha256(str(value).encode()).hexdigest()[:12]) if value else ""
        elif isinstance(f, PersonalDataField):
            value = f.mask(value)
        elif isinstance(f, models.FileField):
            value = str(value) if value else ""
        elif f.name in free_text:
            value = mask_nested(value)
        data[f.name] = value
    return Canonical(canonical(data))


def record(
    action: str,
    obj: models.Model | None = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
    actor=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditRecord:
    """Write one record in the caller's transaction (or its own), sealed with its HMAC.

    No lock is taken: the record joins the chain when :func:`seal` runs after the transaction
    commits (see :func:`_schedule_seal`; the worker also seals every minute, and ``audit
    verify`` first)."""
    ctx = context.current()
    actor = actor if actor is not None else ctx.user
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    rec = AuditRecord(
        seq=None,
        at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=_without_nul(str(object_id))[:64],
        object_repr=_without_nul(object_repr)[:200],
        before=canonical(before) if before is not None else None,
        after=canonical(after) if after is not None else None,
        ip=ctx.ip[:64],
        request_id=ctx.request_id,
        channel=ctx.channel,
        prev_hash="",
        hash="",
    )
    rec.mac = compute_mac(rec)
    rows.insert(rec)
    _schedule_seal()
    return rec


def record_personal_view(objs, fields, has_personal) -> None:
    """Audit an unmasked read (``view_personal``) of the rows among ``objs`` for which
    ``has_personal(row)`` is true: one record naming the row, or one for a list page naming
    every row shown unmasked. Rows with nothing personal to show are not recorded."""
    shown = [o for o in objs if has_personal(o)]
    if len(shown) == 1:
        record("view_personal", shown[0], after={"fields": list(fields)})
    elif shown:
        ids = [o.pk for o in shown]
        label = shown[0]._meta.label_lower
        record("view_personal", object_type=label, object_id=",".join(map(str, ids))[:64],
               object_repr=f"{len(ids)} {shown[0]._meta.verbose_name_plural} (list)",
               after={"fields": list(fields), "ids": ids})


# ------------------------------------------------------------------------------- sealing

_HEAD = AuditChainHead._meta.db_table
_RECORDS = AuditRecord._meta.db_table
SEAL_BATCH = 2000


def _schedule_seal() -> None:
    """Have the records of the current transaction sealed once it commits.

    ``FENGQIAO_AUDIT_SEAL = "background"`` (default): a commit wakes this process's sealer
    thread, which seals in batches, so a request spends no statement on the chain.
    ``"commit"``: the committing thread seals at once (tests; tools that need the chain
    complete when they return)."""
    conn = transaction.get_connection()
    background = getattr(settings, "FENGQIAO_AUDIT_SEAL", "background") == "background"
    job = _sealer.poke if background else _seal_after_commit
    if not conn.in_atomic_block:
        if not rows.after_written(job, conn.alias):  # in rows.together(): once the record is written
            job()
        return
    # once per transaction, however many records it writes
    if any(getattr(entry[1], "__name__", "") == job.__name__ for entry in conn.run_on_commit):
        return
    transaction.on_commit(job, robust=True)


def _seal_after_commit() -> None:
    seal(wait=False)


class _Sealer:
    """One thread per process that seals after commits: woken by :meth:`poke`, it waits
    ``DELAY`` seconds to gather the records of concurrent requests (a batch costs six
    statements however many records it seals), then seals them all, waiting for the chain head
    if another process's sealer holds it, so no commit is ever left behind. Started on first
    use in each process (after a fork, too); at exit whatever is pending is sealed by the
    exiting thread."""

    DELAY = 0.25

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()
        self._pending = False

    def poke(self) -> None:
        self._pending = True
        if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                    self._stop = False
                    self._wake = threading.Event()
                    self._pid = os.getpid()
                    self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
                    self._thread.start()
                    atexit.register(self.flush)
        self._wake.set()

    def _run(self) -> None:
        from django.db import close_old_connections

        try:
            while not self._stop:
                self._wake.wait()
                if self._stop:
                    break
                time.sleep(self.DELAY)
                self._wake.clear()
                self._pending = False
                try:
                    close_old_connections()
                    seal()
                except Exception:
                    log.exception("audit: sealing failed; retrying")
                    self._pending = True
                    time.sleep(1.0)
                    self._wake.set()
        finally:
            connection.close()

    def flush(self) -> None:
        """Seal what this process left pending (at exit; before a verify)."""
        if self._pending and self._pid == os.getpid():
            self._pending = False
            try:
                seal()
            except Exception:
                log.exception("audit: sealing at exit failed; the worker's periodic seal will do it")

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and close its connection (tests; before dropping a database)."""
        thread = self._thread
        self._stop = True
        self._wake.set()
        if thread is not None and thread.is_alive():
            thread.join(timeout)
        self._thread = None


_sealer = _Sealer()
stop_sealer = _sealer.stop


def _lock_head(cur, wait: bool) -> tuple[int, str] | None:
    """Lock the chain head for this transaction; ``None`` when another sealer holds it and
    ``wait`` is false (that sealer, or the next one, takes our records)."""
    if connection.vendor == "sqlite":
        # one writer at a time: a no-op write takes the database's write lock first
        cur.execute(f"UPDATE {_HEAD} SET last_seq = last_seq WHERE id = 1")
        skip = ""
    else:
        skip = "" if wait or not connection.features.has_select_for_update_skip_locked else " SKIP LOCKED"
    lock = " FOR UPDATE" + skip if connection.features.has_select_for_update else ""
    cur.execute(f"SELECT last_seq, last_hash FROM {_HEAD} WHERE id = 1{lock}")
    row = cur.fetchone()
    if row is None:
        cur.execute(f"SELECT COUNT(*) FROM {_HEAD} WHERE id = 1")
        if cur.fetchone()[0]:
            return None  # held by another sealer
        AuditChainHead.objects.get_or_create(pk=1)
        cur.execute(f"SELECT last_seq, last_hash FROM {_HEAD} WHERE id = 1{lock}")
        row = cur.fetchone()
        if row is None:
            return None
    return int(row[0]), row[1]


def seal(*, wait: bool = True, batch: int = SEAL_BATCH) -> int:
    """Append every committed, unsealed record to the chain, oldest first; return how many.

    One sealer at a time holds the chain head, for a few statements per batch; business
    transactions never wait for it. With ``wait=False`` a sealer that finds the head taken
    returns at once."""
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            head = _lock_head(cur, wait)
            if head is None:
                return total
            seq, prev = head
            cur.execute(f"SELECT id, mac FROM {_RECORDS} WHERE seq IS NULL ORDER BY id LIMIT %s", [batch])
            rows = cur.fetchall()
            if not rows:
                return total
            links = []
            for pk, mac in rows:
                seq += 1
                link = compute_link(prev, seq, mac)
                links.append((pk, seq, prev, link))
                prev = link
            # one statement for the whole batch (SQLite ≥ 3.33 and PostgreSQL both take UPDATE … FROM)
            # (a VALUES list names its columns column1… on both)
            cur.execute(
                f"UPDATE {_RECORDS} SET seq = CAST(v.column2 AS BIGINT), prev_hash = v.column3, hash = v.column4 "
                f"FROM (VALUES {', '.join(['(%s, %s, %s, %s)'] * len(links))}) AS v "
                f"WHERE {_RECORDS}.id = CAST(v.column1 AS BIGINT) AND {_RECORDS}.seq IS NULL",
                [x for pk, seq_, prev_, link in links for x in (pk, seq_, prev_, link)],
            )
            if cur.rowcount != len(links):  # only a sealer holding the head writes seq
                raise RuntimeError(f"audit: sealed {cur.rowcount} of {len(links)} records")
            cur.execute(f"UPDATE {_HEAD} SET last_seq = %s, last_hash = %s, mac = %s WHERE id = 1",
                        [seq, prev, compute_head_mac(seq, prev)])
        total += len(rows)
        if len(rows) < batch:
            return total


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    reason: str = ""
    pending: int = 0  # records written but not yet sealed into the chain (their own HMAC checked)


def head() -> AuditChainHead | None:
    """The chain head (position and link of the newest sealed record), if any."""
    return AuditChainHead.objects.filter(pk=1).first()


def verify(chunk_size: int = 5000) -> VerifyResult:
    """Walk the whole chain; report the first record whose link or content does not match.
    Records not yet sealed are checked against their own HMAC and counted as ``pending``."""
    prev = GENESIS
    expected_seq = 1
    checked = 0
    sealed = AuditRecord.objects.filter(seq__isnull=False).order_by("seq")
    for rec in sealed.iterator(chunk_size=chunk_size):
        if rec.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, rec.pk, f"record seq {expected_seq} is missing (next found: {rec.seq})")
        if rec.prev_hash != prev:
            return VerifyResult(False, checked, rec.seq, rec.pk, "link to the previous record is broken")
        if rec.mac:
            if compute_mac(rec) != rec.mac:
                return VerifyResult(False, checked, rec.seq, rec.pk, "record content does not match its hash")
            if compute_link(prev, rec.seq, rec.mac) != rec.hash:
                return VerifyResult(False, checked, rec.seq, rec.pk, "link to the previous record is broken")
        elif compute_hash(prev, rec) != rec.hash:
            return VerifyResult(False, checked, rec.seq, rec.pk, "record content does not match its hash")
        prev = rec.hash
        expected_seq += 1
        checked += 1
    top = head()
    if top is not None and (top.last_seq != checked or top.last_hash != prev):
        return VerifyResult(False, checked, checked + 1, None, f"records after seq {checked} were removed (chain head says {top.last_seq})")
    if top is not None and top.last_seq and top.mac != compute_head_mac(top.last_seq, top.last_hash):
        return VerifyResult(False, checked, checked + 1, None,
                            f"the chain head's seal does not match: records after seq {checked} may have been "
                            "removed and the head set back")
    if top is None and checked:
        return VerifyResult(False, checked, checked + 1, None, "the chain head is missing")
    pending = 0
    for rec in AuditRecord.objects.filter(seq__isnull=True).order_by("id").iterator(chunk_size=chunk_size):
        if not rec.mac or compute_mac(rec) != rec.mac:
            return VerifyResult(False, checked, None, rec.pk, "an unsealed record does not match its hash", pending)
        pending += 1
    return VerifyResult(True, checked, pending=pending)
