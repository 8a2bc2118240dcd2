"""The one vocabulary of error codes, on the wire and in the client.

Wire codes (docs/PROTOCOL.md "Error codes") travel in `error` frames; the
client-only codes name failures that never reach a daemon (no daemon answers,
an output file cannot be written); the start-up codes end a daemon that
cannot serve on its device; `model_invalid` and `model_not_found` end a
daemon whose default model cannot serve and answer a request naming such a
model. Each code has its process exit code here,
so the CLI maps codes to exits through one table.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    UNREACHABLE = 3
    PROTOCOL = 4
    OVERLOADED = 5
    PERMISSION = 6
    INTERRUPTED = 130


class ErrorCode(StrEnum):
    """Stable snake_case codes. Clients map codes, never message text, to behaviour."""

    # On the wire.
    BAD_FRAME = "bad_frame"
    FRAME_TOO_LARGE = "frame_too_large"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    BAD_REQUEST = "bad_request"
    INVALID_DATA = "invalid_data"
    TOO_SHORT = "too_short"
    NOT_FOUND = "not_found"
    INDEX_OUT_OF_RANGE = "index_out_of_range"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    OVERLOADED = "overloaded"
    SHUTTING_DOWN = "shutting_down"
    PERMISSION_DENIED = "permission_denied"
    INTERNAL = "internal"
    # On the wire (models as named resources) and at daemon start-up.
    MODEL_INVALID = "model_invalid"
    MODEL_NOT_FOUND = "model_not_found"
    MODEL_TOO_LARGE = "model_too_large"
    # Client side only: never sent by a daemon.
    DAEMON_UNREACHABLE = "daemon_unreachable"
    AUTOSTART_FAILED = "autostart_failed"
    CONNECTION_LOST = "connection_lost"
    CLIENT_CLOSED = "client_closed"
    TIMED_OUT = "timed_out"
    STILL_RUNNING = "still_running"
    IO_ERROR = "io_error"
    USAGE = "usage"
    # Daemon start-up only: a device that cannot serve (never on the wire).
    DEVICE_UNAVAILABLE = "device_unavailable"

    @property
    def on_wire(self) -> bool:
        return self not in CLIENT_ONLY_CODES and self not in STARTUP_CODES

    @property
    def exit_code(self) -> ExitCode:
        return EXIT_CODES.get(self, ExitCode.FAILED)


CLIENT_ONLY_CODES = frozenset(
    {
        ErrorCode.DAEMON_UNREACHABLE,
        ErrorCode.AUTOSTART_FAILED,
        ErrorCode.CONNECTION_LOST,
        ErrorCode.CLIENT_CLOSED,
        ErrorCode.TIMED_OUT,
        ErrorCode.STILL_RUNNING,
        ErrorCode.IO_ERROR,
        ErrorCode.USAGE,
    }
)
STARTUP_CODES = frozenset({ErrorCode.DEVICE_UNAVAILABLE})

WIRE_CODES = tuple(code for code in ErrorCode if code.on_wire)

EXIT_CODES: dict[ErrorCode, ExitCode] = {
    ErrorCode.BAD_FRAME: ExitCode.PROTOCOL,
    ErrorCode.FRAME_TOO_LARGE: ExitCode.PROTOCOL,
    ErrorCode.UNSUPPORTED_PROTOCOL: ExitCode.PROTOCOL,
    ErrorCode.OVERLOADED: ExitCode.OVERLOADED,
    ErrorCode.PERMISSION_DENIED: ExitCode.PERMISSION,
    ErrorCode.DAEMON_UNREACHABLE: ExitCode.UNREACHABLE,
    ErrorCode.AUTOSTART_FAILED: ExitCode.UNREACHABLE,
    ErrorCode.CONNECTION_LOST: ExitCode.UNREACHABLE,
    ErrorCode.TIMED_OUT: ExitCode.UNREACHABLE,
    ErrorCode.USAGE: ExitCode.USAGE,
}


def parse_code(value: object) -> ErrorCode:
    """A code read off the wire; an unknown one (a newer daemon) counts as `internal`."""
    try:
        return ErrorCode(str(value))
    except ValueError:
        return ErrorCode.INTERNAL
