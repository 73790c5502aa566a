"""Suggestions shown while a matter is typed in (the console's intake form).

The triage engine computes them (category, place with evidence, route, same-matter candidates
the user may see); this module only adapts the console's request to it.
"""

from __future__ import annotations

from fengqiao.triage import service
from fengqiao.triage.suggestion import Suggestion

__all__ = ["Suggestion", "for_text"]


def for_text(user, text: str) -> Suggestion:
    return service.suggest(user, text)
