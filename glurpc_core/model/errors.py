"""The model layer's one exception (pure: no imports beyond the error tree)."""

from __future__ import annotations

from glurpc_core.errors import CodedError, ErrorCode


class ModelError(CodedError):
    """Weights or a device that cannot serve: unreadable, corrupt, of another
    layout, or absent. `model_invalid` and `model_not_found` also answer a request
    that names such a model; `device_unavailable` only ends a start-up."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(code, message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.code, self.message))
