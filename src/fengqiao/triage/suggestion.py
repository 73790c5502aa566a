"""What the machine suggests for a matter being typed in: category, place, route, repeats.

Returned by ``triage.service.suggest`` to the console and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Suggestion:
    categories: list[dict] = field(default_factory=list)  # {code, name, confidence}
    area: object | None = None
    area_label: str = ""
    area_evidence: str = ""
    duplicates: list[dict] = field(default_factory=list)  # {event, score}
    route: str = ""
