"""The daemon's one error tree: every failure a layer expects carries an
`ErrorCode` from the wire package's vocabulary.

    CodedError        code (ErrorCode), message (a sentence), details (msgpack-able)
    ├── OpError       raised by ops and the engine
    ├── IngestError   glurpc_core.ingest: what a file contains (invalid_data, too_short)
    ├── RenderError   glurpc_core.render: crosses the render-process boundary by pickle
    ├── ModelError    glurpc_core.model: weights or device that cannot serve (start-up codes)
    └── InvalidCacheKey  glurpcd.cache: a key that cannot name an entry (bad_request)

`wire_error` is the one boundary to the wire: a CodedError with a wire code
keeps it; anything else that escapes an op is a bug and becomes `internal`.
Pure: the standard library and the wire package's codes only.
"""

from __future__ import annotations

from typing import Any

from glurpc_wire.codes import ErrorCode

__all__ = ["CodedError", "ErrorCode", "OpError", "wire_error"]


class CodedError(Exception):
    def __init__(
        self, code: ErrorCode, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep every field when pickled between processes.
        return (type(self), (self.code, self.message, self.details))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, {self.details!r})"


class OpError(CodedError):
    @classmethod
    def bad_request(cls, message: str) -> OpError:
        return cls(ErrorCode.BAD_REQUEST, message)


def wire_error(exc: BaseException) -> CodedError | None:
    """The error frame's content for an exception that ended a request; None for a bug."""
    if isinstance(exc, CodedError) and exc.code.on_wire and exc.code is not ErrorCode.INTERNAL:
        return exc
    return None
