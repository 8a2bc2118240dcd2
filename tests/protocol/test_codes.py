"""A snapshot of the one code vocabulary: wire codes, client-only codes,
start-up codes and each one's exit code. Codes are part of the contract:
adding one is a protocol change (CHANGELOG); removing or renaming one breaks
clients."""

from __future__ import annotations

import pytest

from glurpc_cli.errors import (
    DaemonUnreachable,
    OverloadedError,
    PermissionDenied,
    ProtocolMismatch,
    RequestFailed,
    error_from_frame,
)
from glurpc_core.errors import CodedError, OpError, wire_error
from glurpc_wire.codes import WIRE_CODES, ErrorCode, ExitCode, parse_code

SNAPSHOT = {
    # wire codes
    "bad_frame": (True, 4),
    "frame_too_large": (True, 4),
    "unsupported_protocol": (True, 4),
    "bad_request": (True, 1),
    "invalid_data": (True, 1),
    "too_short": (True, 1),
    "not_found": (True, 1),
    "index_out_of_range": (True, 1),
    "cancelled": (True, 1),
    "superseded": (True, 1),
    "overloaded": (True, 5),
    "shutting_down": (True, 1),
    "permission_denied": (True, 6),
    "internal": (True, 1),
    "model_invalid": (True, 1),
    "model_not_found": (True, 1),
    "model_too_large": (True, 1),
    # client side only
    "daemon_unreachable": (False, 3),
    "autostart_failed": (False, 3),
    "connection_lost": (False, 3),
    "client_closed": (False, 1),
    "timed_out": (False, 3),
    "still_running": (False, 1),
    "io_error": (False, 1),
    "usage": (False, 2),
    # daemon start-up only
    "device_unavailable": (False, 1),
}


def test_the_code_vocabulary_is_stable():
    assert {code.value: (code.on_wire, int(code.exit_code)) for code in ErrorCode} == SNAPSHOT
    assert [str(code) for code in WIRE_CODES] == [c for c, (wire, _) in SNAPSHOT.items() if wire]


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("overloaded", OverloadedError),
        ("permission_denied", PermissionDenied),
        ("bad_frame", ProtocolMismatch),
        ("unsupported_protocol", ProtocolMismatch),
        ("not_found", RequestFailed),
    ],
)
def test_client_maps_each_wire_code_to_its_class_and_exit(code: str, cls: type) -> None:
    error = error_from_frame({"type": "error", "code": code, "message": "m", "request_id": 9})
    assert type(error) is cls
    assert error.code == code
    assert error.exit_code == SNAPSHOT[code][1]


def test_an_unknown_code_from_a_newer_daemon_is_internal():
    assert parse_code("brand_new") is ErrorCode.INTERNAL
    assert error_from_frame({"code": "brand_new"}).exit_code == ExitCode.FAILED


def test_client_only_classes_carry_their_exit_codes():
    assert DaemonUnreachable("gone").exit_code == ExitCode.UNREACHABLE


def test_daemon_boundary_keeps_wire_codes_and_hides_everything_else():
    coded = OpError(ErrorCode.NOT_FOUND, "no such handle")
    assert wire_error(coded) is coded
    assert wire_error(CodedError(ErrorCode.DEVICE_UNAVAILABLE, "start-up only")) is None
    assert wire_error(CodedError(ErrorCode.INTERNAL, "a bug")) is None
    assert wire_error(KeyError("x")) is None
