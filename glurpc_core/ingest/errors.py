"""Ingestion errors (pure compute: no I/O, no asyncio).

`IngestError` is the one exception this package raises for anything a file
contains. Its `code` is `invalid_data` or `too_short`, `message` a sentence
for a person, and `details` a msgpack-able dict saying what failed and where
(line and column when known).
"""

from __future__ import annotations

from typing import Any

from glurpc_core.errors import CodedError, ErrorCode


class IngestError(CodedError):
    @classmethod
    def invalid(cls, message: str, **details: Any) -> IngestError:
        return cls(
            ErrorCode.INVALID_DATA, message, {k: v for k, v in details.items() if v is not None}
        )
