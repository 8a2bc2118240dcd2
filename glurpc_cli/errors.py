"""Client-side exceptions: one tree, one exit code per class.

    GlurpcError                 exit 1   any failure
    ├── RequestFailed           exit 1   the daemon answered a request with an error code
    │   ├── OverloadedError     exit 5   code "overloaded" (details.retry_after)
    │   └── PermissionDenied    exit 6   code "permission_denied"
    ├── ProtocolMismatch        exit 4   handshake refused or the stream broke the framing
    └── DaemonUnreachable       exit 3   no daemon answers on the socket

Socket and framing errors are translated into these at one boundary (the
client's transport) with `raise ... from exc`.
"""

from __future__ import annotations

from typing import Any

from .protocol import ErrorCode

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_PROTOCOL = 4
EXIT_OVERLOADED = 5
EXIT_PERMISSION = 6
EXIT_INTERRUPTED = 130


class GlurpcError(Exception):
    exit_code = EXIT_FAILED
    code = ErrorCode.INTERNAL

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details or {}


class RequestFailed(GlurpcError):
    def __init__(
        self, message: str, *, code: str, details: dict | None = None, request_id: int | None = None
    ):
        super().__init__(message, code=code, details=details)
        self.request_id = request_id


class OverloadedError(RequestFailed):
    exit_code = EXIT_OVERLOADED

    @property
    def retry_after(self) -> float:
        return float(self.details.get("retry_after", 1.0))


class PermissionDenied(RequestFailed):
    exit_code = EXIT_PERMISSION


class ProtocolMismatch(GlurpcError):
    exit_code = EXIT_PROTOCOL
    code = ErrorCode.UNSUPPORTED_PROTOCOL


class DaemonUnreachable(GlurpcError):
    exit_code = EXIT_UNREACHABLE
    code = "daemon_unreachable"  # client-side: never sent on the wire


_CLASS_BY_CODE: dict[str, type[RequestFailed]] = {
    ErrorCode.OVERLOADED: OverloadedError,
    ErrorCode.PERMISSION_DENIED: PermissionDenied,
}


def error_from_frame(frame: dict[str, Any]) -> GlurpcError:
    """The exception for an `error` frame from the daemon."""
    code = str(frame.get("code", ErrorCode.INTERNAL))
    message = str(frame.get("message", code))
    details = frame.get("details") or {}
    if code in (ErrorCode.UNSUPPORTED_PROTOCOL, ErrorCode.BAD_FRAME, ErrorCode.FRAME_TOO_LARGE):
        return ProtocolMismatch(message, code=code, details=details)
    cls = _CLASS_BY_CODE.get(code, RequestFailed)
    return cls(message, code=code, details=details, request_id=frame.get("request_id"))
