"""Re-export of the masking helpers (kept separate so logging can import without models)."""

from .personal import mask_free_text, mask_id_number, mask_name, mask_phone

__all__ = ["mask_free_text", "mask_id_number", "mask_name", "mask_phone"]
