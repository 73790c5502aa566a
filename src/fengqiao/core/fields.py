"""Model fields for personal data: encrypted at rest, validated, searchable through a digest.

Usage::

    reporter_phone = PersonalDataField(kind="phone", blank=True)
    reporter_phone_digest = PersonalDigestField(source="reporter_phone")

    Event.objects.filter(reporter_phone_digest=digest_for("phone", "13812341234"))

The attribute holds the plain, normalised value in Python; the column holds Fernet ciphertext.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from . import crypto
from .personal import MASKERS, NORMALIZERS, PersonalDataError


def digest_for(kind: str, value: str) -> str:
    """The look-up digest of a raw value (normalised first); '' for an empty value."""
    if not value:
        return ""
    return crypto.keyed_digest(kind, NORMALIZERS[kind](value))


class PersonalDataField(models.TextField):
    """Encrypted text holding an ID number, a phone number or a name."""

    def __init__(self, *args, kind: str = "name", **kwargs):
        if kind not in NORMALIZERS:
            raise ValueError(f"unknown personal data kind {kind!r}")
        self.kind = kind
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["kind"] = self.kind
        if kwargs.get("default") == "":
            kwargs.pop("default")
        return name, path, args, kwargs

    def mask(self, value: str) -> str:
        return MASKERS[self.kind](value or "")

    def to_python(self, value):
        if value in (None, ""):
            return ""
        try:
            return NORMALIZERS[self.kind](str(value))
        except PersonalDataError as exc:
            raise ValidationError(str(exc), code=exc.code) from exc

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return crypto.decrypt(value)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname) or ""
        if value:
            value = NORMALIZERS[self.kind](value)
            setattr(model_instance, self.attname, value)
        return value

    def get_prep_value(self, value):
        if not value:
            return ""
        return crypto.encrypt(str(value))


class PersonalDigestField(models.CharField):
    """Keyed hash of a PersonalDataField on the same model, kept in step on every save."""

    def __init__(self, *args, source: str = "", kind: str = "", **kwargs):
        self.source = source
        self.kind = kind
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.kind:
            kwargs["kind"] = self.kind
        for key, default in (("max_length", 64), ("editable", False), ("blank", True), ("default", "")):
            if kwargs.get(key, default) == default:
                kwargs.pop(key, None)
        # Field.deconstruct() leaves out db_index=False (its own default) but ours is True:
        # say False explicitly, or a migration rebuilds the field with an index it should not have
        kwargs.pop("db_index", None)
        if not self.db_index:
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        source_field = model_instance._meta.get_field(self.source)
        kind = self.kind or source_field.kind
        value = getattr(model_instance, self.source) or ""
        digest = digest_for(kind, value)
        setattr(model_instance, self.attname, digest)
        return digest


class MasksPersonalData:
    """For a model with :class:`PersonalDataField` s: ``masked(field)`` is the value as everyone
    sees it unless the role may unmask (陈**, 139****5678)."""

    def masked(self, field: str) -> str:
        return self._meta.get_field(field).mask(getattr(self, field))
