"""Serializer bases shared by every app's API."""

from __future__ import annotations

import copy
import threading

from rest_framework import serializers

from .errors import UserError

_built: dict[type, dict] = {}
_lock = threading.Lock()


class ModelSerializer(serializers.ModelSerializer):
    """DRF's ``ModelSerializer`` with its field set built once per class.

    DRF rebuilds every field from the model's metadata each time a serializer is created (for
    a matter's 45 fields that was a quarter of an intake request's CPU). The field set depends
    only on the class and its ``Meta``, so the first build is kept and each instance gets a
    deep copy of it (fields are bound to their parent, so instances never share them).
    """

    def get_fields(self):
        cls = type(self)
        proto = _built.get(cls)
        if proto is None:
            proto = super().get_fields()
            with _lock:
                _built.setdefault(cls, proto)
        return copy.deepcopy(proto)


_per_thread = threading.local()


def refuse_unknown(data, known) -> None:
    """400 ``unknown_field`` (bilingual, naming the first) when the object ``data`` holds a key
    not in ``known``: a misspelt field (``adress``) or a wrong one (a party's ``role`` for its
    ``side``) would otherwise be dropped without a word, or replaced by a default."""
    if not hasattr(data, "keys"):
        return
    unknown = sorted(str(k) for k in data.keys() if k not in known)
    if unknown:
        names = ", ".join(unknown)[:200]
        raise UserError("unknown_field", f"不能提交: {names}", f"unknown field(s): {names}", field=unknown[0][:100])


class NoUnknownFieldsMixin:
    """A write serializer that refuses keys it does not declare (:func:`refuse_unknown`)."""

    def to_internal_value(self, data):
        refuse_unknown(data, self.fields)
        return super().to_internal_value(data)


class ReusedFieldsMixin:
    """For flat serializers on hot paths (intake): each thread builds the field set once and
    rebinds it to every new instance, instead of deep-copying the declared fields each time.

    Only for serializers that are never nested in another instance of their own class and
    whose instances are used one at a time per thread (build, validate or render, drop)."""

    def get_fields(self):
        cache = getattr(_per_thread, "fields", None)
        if cache is None:
            cache = _per_thread.fields = {}
        entry = cache.get(type(self))
        if entry is None:
            fields = super().get_fields()
            entry = cache[type(self)] = (fields, {name: f.source for name, f in fields.items()})
        fields, sources = entry
        for name, f in fields.items():  # as declared: bind() derives source from the name
            f.source = sources[name]
        return fields


#: the largest version an optimistic check takes (the column is a 32-bit integer)
MAX_VERSION = 2**31 - 1
VERSION_HELP = "the version the caller read; when the entry has changed since, 409 stale_version"


def version_field(help_text: str = VERSION_HELP) -> serializers.IntegerField:
    """The ``version`` of a write body (ADR 0101): optional, a whole number the column holds."""
    return serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=MAX_VERSION,
                                    help_text=help_text)


class NumberField(serializers.FloatField):
    """A float field that refuses ``true``/``false`` (DRF's takes them for 1.0 and 0.0, so a
    boolean latitude would place a matter at 1° north)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)
