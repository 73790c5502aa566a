"""Configurable code trees (事件分类, 纠纷类型 …) kept as a materialised path of codes.

A model with ``code``, ``parent`` (self), ``path`` and ``depth`` fields mixes this in: saving
computes ``path`` (``/root/child/…/``) and ``depth``, so a subtree is a prefix query as for
areas. The mixin declares no fields, so it changes no migration.
"""

from __future__ import annotations


class CodePathTreeMixin:
    def save(self, *args, **kwargs):
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.code}/"
        self.depth = self.path.strip("/").count("/")
        super().save(*args, **kwargs)

    def ancestor_codes(self) -> list[str]:
        """Codes from the root down to this node (inclusive)."""
        return [c for c in self.path.strip("/").split("/") if c]

    def full_name(self, sep: str = " / ") -> str:
        codes = self.ancestor_codes()
        names = dict(type(self)._default_manager.filter(code__in=codes).values_list("code", "name"))
        return sep.join(names.get(c, c) for c in codes)
