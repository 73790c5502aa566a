"""Inserting one row on hot paths (行写入).

``Model.save()`` compiles its INSERT again for every row: for the matter's fifty columns that
is most of what intake costs in Python. :func:`insert` writes a new instance with a statement
built once per model and database. Fields behave as in ``save()`` (``pre_save`` fills digests
and timestamps, ``get_db_prep_save`` encrypts personal data and adapts JSON), but no signals
are sent: use it only inside actions that write their own audit record (``explicit_audit``),
for models no receiver watches.
"""

from __future__ import annotations

import threading

from django.db import connections, models

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


def insert(obj: models.Model, using: str = "default") -> models.Model:
    """INSERT ``obj`` (a new instance) and give it its primary key; returns ``obj``."""
    conn = connections[using]
    with_pk = obj.pk is not None
    sql, fields = _statement(type(obj), using, with_pk)
    values = [f.get_db_prep_save(f.pre_save(obj, True), conn) for f in fields]
    with conn.cursor() as cur:
        cur.execute(sql, values)
        if not with_pk:
            obj.pk = cur.fetchone()[0] if conn.features.can_return_columns_from_insert else cur.lastrowid
    obj._state.adding = False
    obj._state.db = using
    return obj
