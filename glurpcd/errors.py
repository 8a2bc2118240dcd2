"""Errors with a stable code, for every layer of the daemon.

    CodedError        code (PROTOCOL.md snake_case), message (a sentence), details (msgpack-able)
    ├── OpError       raised by ops and the engine; becomes an `error` frame
    ├── IngestError   glurpcd.ingest: what a file contains (invalid_data, too_short)
    └── RenderError   glurpcd.render: crosses the render-process boundary by pickle

The connection turns a CodedError with a protocol code into an `error` frame;
anything else that escapes an op is a bug and becomes `internal`.
"""

from __future__ import annotations

from typing import Any

from glurpc_cli.protocol import ALL_ERROR_CODES, ErrorCode

__all__ = ["CodedError", "ErrorCode", "OpError", "as_op_error"]


class CodedError(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
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


def as_op_error(exc: BaseException) -> OpError | None:
    """The wire error for a compute layer's exception; None when it is a bug."""
    if isinstance(exc, OpError):
        return exc
    if isinstance(exc, CodedError) and exc.code in ALL_ERROR_CODES:
        if exc.code != ErrorCode.INTERNAL:
            return OpError(exc.code, exc.message, exc.details)
    return None
