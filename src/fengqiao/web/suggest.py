"""Suggestions shown while a matter is typed in: category, place, same-matter candidates.

Uses the triage engine when one is installed and trained; always resolves the place from the
area tree's names and aliases.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fengqiao.events import places


@dataclass
class Suggestion:
    categories: list[dict] = field(default_factory=list)  # {code, name, confidence}
    area: object | None = None
    area_label: str = ""
    area_evidence: str = ""
    duplicates: list[dict] = field(default_factory=list)  # {event, score}
    route: str = ""


def for_text(user, text: str) -> Suggestion:
    s = Suggestion()
    try:
        from fengqiao.triage import service
    except ImportError:
        service = None
    if service is not None and hasattr(service, "suggest"):
        return service.suggest(user, text)
    area = places.resolve_area(text, within=user.area if user.area_id else None)
    if area is not None:
        s.area = area
        s.area_label = area.full_name()
        s.area_evidence = next((n for n in [area.name, *area.aliases] if n and n in text), area.name)
    return s
