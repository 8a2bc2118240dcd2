"""Client-side exceptions: one tree; each carries an `ErrorCode`, whose exit
code comes from the wire package's one table.

    GlurpcError                 any failure (exit: its code's, 1 by default)
    ├── RequestFailed           the daemon answered a request with an error frame
    │   ├── OverloadedError     overloaded (details.retry_after), exit 5
    │   └── PermissionDenied    permission_denied, exit 6
    ├── InputUnreadable         an input file that cannot be read (io_error), exit 1
    ├── ProtocolMismatch        handshake refused or the stream broke the framing, exit 4
    └── DaemonUnreachable       no daemon answers, or none could be started, exit 3

Socket and framing errors become these at one boundary (the transport) with
`raise ... from exc`; error frames become these in `error_from_frame`, the
one table from wire codes to classes.
"""

from __future__ import annotations

from typing import Any

from glurpc_wire.codes import ErrorCode, ExitCode, parse_code


class GlurpcError(Exception):
    code: ErrorCode = ErrorCode.INTERNAL

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        details: dict[str, Any] | None = None,
        request_id: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}
        self.request_id = request_id

    @property
    def exit_code(self) -> ExitCode:
        return self.code.exit_code


class RequestFailed(GlurpcError):
    pass


class OverloadedError(RequestFailed):
    code = ErrorCode.OVERLOADED

    @property
    def retry_after(self) -> float:
        return float(self.details.get("retry_after", 1.0))


class PermissionDenied(RequestFailed):
    code = ErrorCode.PERMISSION_DENIED


class InputUnreadable(GlurpcError):
    code = ErrorCode.IO_ERROR


class ProtocolMismatch(GlurpcError):
    code = ErrorCode.UNSUPPORTED_PROTOCOL


class DaemonUnreachable(GlurpcError):
    code = ErrorCode.DAEMON_UNREACHABLE


_CLASS_BY_CODE: dict[ErrorCode, type[GlurpcError]] = {
    ErrorCode.OVERLOADED: OverloadedError,
    ErrorCode.PERMISSION_DENIED: PermissionDenied,
    ErrorCode.UNSUPPORTED_PROTOCOL: ProtocolMismatch,
    ErrorCode.BAD_FRAME: ProtocolMismatch,
    ErrorCode.FRAME_TOO_LARGE: ProtocolMismatch,
}


def error_from_frame(frame: dict[str, Any]) -> GlurpcError:
    """The exception for an `error` frame from the daemon."""
    code = parse_code(frame.get("code"))
    message = str(frame.get("message", code))
    details = frame.get("details") or {}
    cls = _CLASS_BY_CODE.get(code, RequestFailed)
    return cls(message, code=code, details=details, request_id=frame.get("request_id"))
