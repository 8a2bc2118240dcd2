"""The wire contract against a real daemon: handshake, ops, malformed input,
socket ownership. Every malformed case is checked while a second connection
keeps working."""

from __future__ import annotations

import os
import socket
import stat
import struct
import subprocess
import sys

import msgpack
import pytest

from glurpc_wire import framing

from .daemons import launch

pytestmark = pytest.mark.integration


def test_handshake_and_ping(daemon):
    with daemon.connect() as conn:
        hello = conn.server_hello
        assert hello["type"] == "hello" and hello["protocol"] == 1
        assert hello["server"].startswith("glurpcd/")
        assert hello["device"] == "cpu"
        assert {"id", "source", "parameters"} <= set(hello["model"])
        reply = conn.call("ping")
        assert reply["type"] == "result" and reply["data"] == {"pong": True}
        assert isinstance(reply["request_id"], int)


def test_request_ids_increase_across_connections(daemon):
    with daemon.connect() as first, daemon.connect() as second:
        ids = [conn.call("ping")["request_id"] for conn in (first, second, first, second)]
    assert ids == sorted(ids) and len(set(ids)) == 4


def test_many_requests_in_flight_on_one_connection(daemon):
    with daemon.connect() as conn:
        sent = [conn.request("ping") for _ in range(50)]
        answered = {conn.final()["id"] for _ in sent}
    assert answered == set(sent)


def test_wrong_protocol_version_is_refused(daemon):
    with daemon.connect(hello=False) as conn:
        conn.send({"type": "hello", "protocol": 99, "client": "future/1"})
        frame = conn.receive()
        assert frame["code"] == "unsupported_protocol" and frame["id"] is None
        assert conn.closed_by_peer()


MALFORMED_FRAMES = {
    "zero_length": (struct.pack(">I", 0), "bad_frame"),
    "oversized": (struct.pack(">I", 2**31), "frame_too_large"),
    "not_a_map": (framing.HEADER.pack(3) + msgpack.packb([1, 2]), "bad_frame"),
    "garbage": (framing.HEADER.pack(4) + b"\xc1\xc1\xc1\xc1", "bad_frame"),
    "truncated_msgpack": (framing.HEADER.pack(3) + b"\x82\xa1a", "bad_frame"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_FRAMES))
def test_malformed_frame_is_answered_and_closed_others_unaffected(daemon, case):
    data, code = MALFORMED_FRAMES[case]
    with daemon.connect() as bystander, daemon.connect() as offender:
        in_flight = bystander.request("ping")
        offender.send_raw(data)
        frame = offender.receive()
        assert frame["type"] == "error" and frame["code"] == code and frame["id"] is None
        assert offender.closed_by_peer()
        assert bystander.final(in_flight)["data"] == {"pong": True}
        assert bystander.call("ping")["data"] == {"pong": True}


@pytest.mark.parametrize(
    "message, problem",
    [
        ({"type": "request", "id": 1, "op": "no_such_op", "args": {}}, "unknown op"),
        ({"type": "request", "id": 1, "op": "plot", "args": {"csv": "text", "index": 0}}, "csv"),
        (
            {"type": "request", "id": 1, "op": "plot", "args": {"handle": "0" * 64, "index": "x"}},
            "index",
        ),
        ({"type": "request", "id": "one", "op": "ping"}, "integer id"),
        ({"type": "request", "id": 1, "op": "ping", "args": [1]}, "map"),
        ({"type": "bogus", "id": 1}, "type"),
        ({"type": "request", "id": 1, "op": "cache", "args": {"action": "explode"}}, "action"),
    ],
)
def test_ill_formed_requests_get_bad_request_and_connection_stays(daemon, message, problem):
    with daemon.connect() as conn:
        conn.send(message)
        frame = conn.final()
        assert frame["code"] == "bad_request", frame
        assert problem in frame["message"]
        assert conn.call("ping")["data"] == {"pong": True}


def test_socket_and_directory_permissions(daemon):
    assert stat.S_IMODE(os.stat(daemon.socket).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(daemon.socket.parent).st_mode) == 0o700


def test_second_daemon_on_live_socket_refuses(daemon, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "glurpcd",
            "--socket",
            str(daemon.socket),
            "--state-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "already serves" in result.stderr
    with daemon.connect() as conn:
        assert conn.call("ping")["data"] == {"pong": True}


def test_stale_socket_is_replaced_and_sigterm_cleans_up(tmp_path):
    path = tmp_path / "run" / "glurpcd.sock"
    path.parent.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays, nobody listens: a crashed daemon's leftover
    fresh = launch(path, tmp_path / "state", "--render-workers", "0")
    try:
        with fresh.connect() as conn:
            assert conn.call("ping")["data"] == {"pong": True}
    finally:
        assert fresh.stop() == 0
    assert not path.exists()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another user")
def test_other_users_are_refused_by_peer_credentials(daemon):
    os.chmod(daemon.socket, 0o666)  # let the kernel pass it; SO_PEERCRED must refuse
    os.chmod(daemon.socket.parent, 0o711)
    try:
        script = (
            "import os, socket\n"
            "from glurpc_wire import framing\nfrom glurpc_wire import messages as wire\n"
            # cwd first: the test's temporary parents are closed to other users.
            f"os.chdir({str(daemon.socket.parent)!r})\n"
            "os.setgid(65534); os.setuid(65534)\n"
            f"s = socket.socket(socket.AF_UNIX); s.connect({daemon.socket.name!r})\n"
            "d = framing.FrameDecoder(); frames = []\n"
            "while not frames:\n"
            "    data = s.recv(4096)\n"
            "    if not data: break\n"
            "    frames = d.feed(data)\n"
            "print(frames[0]['code'] if frames else 'closed')\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
        )
        assert result.stdout.strip() == "permission_denied", result.stderr
    finally:
        os.chmod(daemon.socket, 0o600)
        os.chmod(daemon.socket.parent, 0o700)
    with daemon.connect() as conn:
        assert conn.call("ping")["data"] == {"pong": True}
