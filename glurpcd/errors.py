"""Daemon-side request errors: a stable code (PROTOCOL.md) plus a sentence.

Raised anywhere below the connection layer; the connection turns one into an
`error` frame. Anything else that escapes an op is a bug and becomes `internal`.
"""

from __future__ import annotations

from typing import Any

from glurpc_cli.protocol import ErrorCode

__all__ = ["ErrorCode", "OpError"]


class OpError(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}

    @classmethod
    def bad_request(cls, message: str) -> OpError:
        return cls(ErrorCode.BAD_REQUEST, message)
