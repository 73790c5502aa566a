"""Re-export of the masking helpers (kept separate so logging can import without models)."""

from .personal import (
    holds_number,
    mask_free_text,
    mask_id_number,
    mask_name,
    mask_nested,
    mask_phone,
)

__all__ = ["holds_number", "mask_free_text", "mask_id_number", "mask_name", "mask_nested", "mask_phone"]
