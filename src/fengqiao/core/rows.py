"""Inserting one row on hot paths (行写入).

``Model.save()`` compiles its INSERT again for every row: for the matter's fifty columns that
is most of what intake costs in Python. :func:`insert` writes a new instance with a statement
built once per model and database. Fields behave as in ``save()`` (``pre_save`` fills digests
and timestamps, ``get_db_prep_save`` encrypts personal data and adapts JSON), but no signals
are sent: use it only inside actions that write their own audit record (``explicit_audit``),
for models no receiver watches.

:func:`together` goes one step further for a write that is only inserts (a matter taken in:
the matter, its timeline entry, its audit record): on PostgreSQL the inserts made inside the
block are sent as **one** statement (data-modifying ``WITH``) when it ends. Outside a
transaction that statement is its own transaction, so the write costs one round trip instead
of five (``BEGIN``, three inserts, ``COMMIT``). Elsewhere the block is a plain
``transaction.atomic()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connections, models, transaction

log = logging.getLogger(__name__)

_statements: dict[tuple, tuple[str, list]] = {}
_lock = threading.Lock()


def _statement(model: type[models.Model], alias: str, with_pk: bool) -> tuple[str, list]:
    key = (model, alias, with_pk)
    found = _statements.get(key)
    if found is None:
        conn = connections[alias]
        meta = model._meta
        fields = [f for f in meta.concrete_fields if with_pk or not f.primary_key]
        columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
        sql = f"INSERT INTO {conn.ops.quote_name(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        if not with_pk and conn.features.can_return_columns_from_insert:
            sql += f" RETURNING {conn.ops.quote_name(meta.pk.column)}"
        found = (sql, fields)
        with _lock:
            _statements[key] = found
    return found


class _Batch:
    def __init__(self, using: str):
        self.using = using
        self.rows: list[tuple[models.Model, bool, list]] = []
        self.after: list[Callable[[], None]] = []


_open = threading.local()


def _batch(using: str) -> _Batch | None:
    batch = getattr(_open, "batch", None)
    return batch if batch is not None and batch.using == using else None


@contextmanager
def together(using: str = "default") -> Iterator[None]:
    """Write the :func:`insert` calls of the block together, all or nothing, when it ends.

    Inside the block an inserted object has no primary key yet unless it was given one (take
    ids from a sequence first when later rows refer to it), and nothing else may be written
    or read that depends on those rows; :func:`after_written` defers work until they are.
    An error in the block writes nothing; an error of the statement (a unique key) is raised
    from the ``with``."""
    conn = connections[using]
    opened = _open.__dict__.setdefault("aliases", set())
    if using in opened:
        # an inner block's rows would be written, or not, with the outer block's
        raise RuntimeError("rows.together() blocks do not nest")
    opened.add(using)
    try:
        if conn.vendor == "postgresql":
            yield from _together(conn, using)
        else:
            with transaction.atomic(using=using):
                yield
    finally:
        opened.discard(using)


def _together(conn, using: str) -> Iterator[None]:
    outer = getattr(_open, "batch", None)  # a block open on another database
    batch = _open.batch = _Batch(using)
    try:
        yield
    finally:
        _open.batch = outer
    if batch.rows:
        if conn.in_atomic_block:
            with transaction.atomic(using=using):  # a savepoint: a failed insert leaves the outer one usable
                _write(batch, conn)
        else:
            _write(batch, conn)
    for fn in batch.after:
        try:
            fn()
        except Exception:  # the rows are written: as with on_commit(robust=True), log and go on
            log.exception("rows.together: work after the write failed")


def after_written(fn: Callable[[], None], using: str = "default") -> bool:
    """Run ``fn`` once the rows of the open :func:`together` block are written (inside an outer
    transaction: before that commits); ``False`` (and nothing done) when no block is open."""
    batch = _batch(using)
    if batch is None:
        return False
    if fn not in batch.after:  # once per block, however many records ask
        batch.after.append(fn)
    return True


_combined: dict[tuple, str] = {}


def _write(batch: _Batch, conn) -> None:
    key = (conn.alias, *((type(obj), with_pk) for obj, with_pk, _ in batch.rows))
    sql = _combined.get(key)
    if sql is None:
        parts = []
        for n, (obj, with_pk, _) in enumerate(batch.rows):
            one = _statement(type(obj), conn.alias, with_pk)[0]
            if with_pk:
                one += f" RETURNING {conn.ops.quote_name(obj._meta.pk.column)}"
            parts.append(f"q{n} AS ({one})")
        picks = ", ".join(f"(SELECT * FROM q{n})" for n in range(len(batch.rows)))
        sql = f"WITH {', '.join(parts)} SELECT {picks}"
        with _lock:
            _combined[key] = sql
    with conn.cursor() as cur:
        cur.execute(sql, [v for _, _, values in batch.rows for v in values])
        ids = cur.fetchone()
    for (obj, _, _), pk in zip(batch.rows, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = conn.alias


def insert(obj: models.Model, using: str = "default") -> models.Model:
    """INSERT ``obj`` (a new instance) and give it its primary key; returns ``obj``. Inside
    :func:`together` the row is queued and written when the block ends."""
    conn = connections[using]
    with_pk = obj.pk is not None
    sql, fields = _statement(type(obj), using, with_pk)
    values = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    batch = _batch(using)
    if batch is not None:
        batch.rows.append((obj, with_pk, values))
        return obj
    with conn.cursor() as cur:
        cur.execute(sql, values)
        if not with_pk:
            obj.pk = cur.fetchone()[0] if conn.features.can_return_columns_from_insert else cur.lastrowid
    obj._state.adding = False
    obj._state.db = using
    return obj
