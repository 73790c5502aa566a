"""Who supervises a matter's current level (上级): grid/village → town → county."""

from __future__ import annotations

from fengqiao.areas.models import Area


def current_level_path(event) -> str:
    """Path of the area node that holds the matter now (handling unit, else the centre)."""
    if event.escalated_to_id is not None:
        return event.escalated_to.path
    if event.assignee_id is not None and event.assignee.area_id is not None:
        return event.assignee.area.path
    if event.handling_department_id is not None:
        return "/" + event.handling_department.county.code + "/"
    if event.handling_path:
        return event.handling_path
    if event.dispatched_by_area_id is not None:
        return event.dispatched_by_area.path
    creator = event.created_by
    if creator is not None and creator.area_id is not None and event.area_path.startswith(creator.area.path):
        # Taken in by a town or village: that level holds it; otherwise the county centre.
        return creator.area.path
    parts = event.area_path.strip("/").split("/")
    return f"/{parts[0]}/" if parts and parts[0] else ""


def supervising_code(path: str) -> str | None:
    """Code of the supervising centre of the node at ``path``: its town, or the county."""
    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) <= 1:
        return None  # the county centre has no one above it here
    if len(parts) == 2:
        return parts[0]  # town → county
    return parts[1]  # village, grid, micro-grid → town


def supervising_area(event) -> Area | None:
    code = supervising_code(current_level_path(event))
    return Area.objects.filter(code=code).first() if code else None
