"""Hostile frames against a real daemon: each is refused with a code, costs
the daemon little memory, and never disturbs a bystander's ping."""

from __future__ import annotations

import struct

import msgpack
import pytest

from glurpc_wire import framing

from .daemons import QUIET, launch_under
from .samples import wait_for_status

pytestmark = pytest.mark.integration

MIB = 1024 * 1024


def _frame(payload: bytes) -> bytes:
    return framing.HEADER.pack(len(payload)) + payload


def _ping_with_extra(extra: bytes) -> bytes:
    """A legal ping request whose args carry `extra` (pre-encoded msgpack)."""
    head = msgpack.packb({"type": "request", "id": 1, "op": "ping"})
    # Turn the 3-entry fixmap into 4 entries and append "args": {"x": extra}.
    return (
        bytes([head[0] + 1])
        + head[1:]
        + msgpack.packb("args")
        + b"\x81"
        + msgpack.packb("x")
        + extra
    )


def _assert_refused(conn, code: str) -> dict:
    frame = conn.receive()
    assert frame["type"] == "error" and frame["code"] == code and frame["id"] is None, frame
    assert conn.closed_by_peer()
    return frame


def test_a_million_empty_maps_are_refused_before_decoding(daemon):
    # One byte per map on the wire, ~64 bytes each once decoded.
    maps = b"\xdd" + struct.pack(">I", 1_000_000) + b"\x80" * 1_000_000
    with daemon.connect() as bystander, daemon.connect() as attacker:
        attacker.send_raw(_frame(_ping_with_extra(maps)))
        frame = _assert_refused(attacker, "frame_too_large")
        assert "elements" in frame["message"]
        assert bystander.call("ping")["data"] == {"pong": True}


def test_nesting_deeper_than_the_limit_is_refused(daemon):
    nested = b"\x91" * 200 + b"\xc0"
    with daemon.connect() as conn:
        conn.send_raw(_frame(_ping_with_extra(nested)))
        assert "nesting" in _assert_refused(conn, "frame_too_large")["message"]


def test_a_reasonable_structure_still_decodes(daemon):
    with daemon.connect() as conn:
        conn.send_raw(_frame(_ping_with_extra(msgpack.packb([{"a": 1}] * 1000))))
        assert conn.final(1)["data"] == {"pong": True}


def test_a_large_frame_before_hello_is_refused_at_its_header(daemon):
    with daemon.connect(hello=False) as conn:
        conn.send_raw(framing.HEADER.pack(framing.PRE_HELLO_MAX_FRAME + 1))
        _assert_refused(conn, "frame_too_large")


def test_a_request_pipelined_behind_hello_is_served(daemon):
    with daemon.connect(hello=False) as conn:
        conn.send_raw(
            framing.encode_frame({"type": "hello", "protocol": 1, "client": "t/1"})
            + framing.encode_frame(
                {"type": "request", "id": 5, "op": "ping", "args": {"pad": b"x" * 100_000}}
            )
        )
        assert conn.receive()["type"] == "hello"
        assert conn.final(5)["data"] == {"pong": True}


@pytest.mark.parametrize("version", [True, 1.0, "1"])
def test_hello_accepts_only_the_integer_one(daemon, version):
    with daemon.connect(hello=False) as conn:
        conn.send({"type": "hello", "protocol": version, "client": "t/1"})
        _assert_refused(conn, "unsupported_protocol")


@pytest.fixture(scope="module")
def strict_daemon(tmp_path_factory):
    base = tmp_path_factory.mktemp("strict")
    daemon = launch_under(
        base,
        "--frame-timeout",
        "1",
        "--max-pending-mb",
        "2",
        *QUIET,
    )
    yield daemon
    daemon.stop()


def test_an_incomplete_frame_times_out(strict_daemon):
    with strict_daemon.connect() as bystander, strict_daemon.connect() as silent:
        silent.send_raw(framing.HEADER.pack(MIB) + b"\0" * 100_000)
        frame = _assert_refused(silent, "bad_frame")
        assert "incomplete frame" in frame["message"]
        assert bystander.call("ping")["data"] == {"pong": True}


def test_incomplete_frames_share_one_budget(strict_daemon):
    announced = MIB + MIB // 2
    with strict_daemon.connect() as first, strict_daemon.connect() as second:
        first.send_raw(framing.HEADER.pack(announced) + b"\0" * 1000)
        with strict_daemon.connect() as probe:  # the header alone reserves its length
            wait_for_status(probe, lambda s: s["flow"]["partial_frame_bytes"] >= announced)
        second.send_raw(framing.HEADER.pack(MIB) + b"\0" * 1000)
        frame = _assert_refused(second, "overloaded")
        assert frame["details"]["reason"] == "partial_frames"


def test_control_characters_and_length_of_op_stay_out_of_the_log(strict_daemon):
    forged = "ping\nINFO glurpcd: forged line"
    with strict_daemon.connect() as conn:
        conn.call(forged)
        reply = conn.call("x" * 1_000_000)
        assert reply["code"] == "bad_request" and len(reply["message"]) < 200
        conn.call("ping")  # the previous lines are written by now
    log = strict_daemon.log()
    assert "\nINFO glurpcd: forged line" not in log
    assert "ping\\nINFO glurpcd: forged line" in log
    assert max(len(line) for line in log.splitlines()) < 400


def test_a_handle_with_a_trailing_newline_is_a_bad_request(daemon):
    with daemon.connect() as conn:
        for op in ("plot", "forecast"):
            reply = conn.call(op, {"handle": "a" * 64 + "\n", "index": 0})
            assert reply["code"] == "bad_request", reply
        reply = conn.call("cache", {"action": "delete", "handle": "a" * 64 + "\n"})
        assert reply["code"] == "bad_request", reply
