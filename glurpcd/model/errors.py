"""The model layer's one exception (pure: no imports beyond the standard library)."""

from __future__ import annotations


class ModelError(Exception):
    """A weights file that cannot serve: unreadable, corrupt or of another layout.

    `code` is stable ("model_invalid", or "model_not_found" when no file exists)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
