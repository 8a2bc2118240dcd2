"""Connecting safely: a full listen queue is waited out within the timeout,
and the autostart ready pipe reaches only the daemon it was made for.
Real sockets and real processes; the only hooks note that a retry or a
spawn happened, so the test can act at exactly that moment."""

from __future__ import annotations

import socket
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from glurpc_cli import autostart, transport
from glurpc_cli.cli import cli
from glurpc_cli.errors import DaemonUnreachable
from glurpc_wire import framing
from glurpc_wire import messages as wire

WAIT_S = 30.0


def _fill_listen_queue(path: Path) -> tuple[socket.socket, list[socket.socket]]:
    """A listener that accepts nothing, its queue full: connects get EAGAIN."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(0)
    fillers = []
    while True:
        filler = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(str(path))
        except BlockingIOError:
            filler.close()
            return server, fillers
        fillers.append(filler)


def _answer_one_ping(server: socket.socket, skip: int) -> None:
    """Accept (and drop) the `skip` queued fillers, then serve hello + ping."""
    for _ in range(skip):
        server.accept()[0].close()
    conn, _ = server.accept()
    decoder = framing.FrameDecoder()
    received: list[dict] = []
    with conn:
        while len(received) < 2:
            received += decoder.feed(conn.recv(1 << 16))
            if len(received) == 1:
                conn.sendall(framing.encode_frame(wire.hello_reply("glurpcd/test", {}, "cpu")))
        request = received[1]
        conn.sendall(framing.encode_frame(wire.result(request["id"], 1, {"pong": True})))


def test_a_full_listen_queue_is_retried_within_the_timeout(socket_dir, monkeypatch):
    path = socket_dir / "busy.sock"
    server, fillers = _fill_listen_queue(path)
    retrying = threading.Event()
    real_pause = transport._pause

    def noting_pause(seconds: float) -> None:
        retrying.set()
        real_pause(seconds)

    monkeypatch.setattr(transport, "_pause", noting_pause)
    outcome = []
    args = ["--socket", str(path), "--timeout", "30", "ping"]
    client = threading.Thread(target=lambda: outcome.append(CliRunner().invoke(cli, args)))
    client.start()
    try:
        assert retrying.wait(WAIT_S), f"no retry on EAGAIN: {outcome}"
        _answer_one_ping(server, len(fillers))
    finally:
        client.join(WAIT_S)
        server.close()
        for filler in fillers:
            filler.close()
    assert outcome[0].exit_code == 0, outcome[0].output
    assert outcome[0].stdout.startswith("pong from glurpcd/test")


def test_the_ready_pipe_is_not_inherited_by_a_process_spawned_at_the_same_moment(
    socket_dir, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(socket_dir / "state"))
    bystanders: list[subprocess.Popen[bytes]] = []
    real_spawn = autostart._spawn_detached

    def spawn_beside_another(*args: object) -> int:
        # Another thread (another client of this process) starts a long-lived
        # process right now, inheriting whatever is inheritable.
        bystanders.append(subprocess.Popen(["sleep", "60"], close_fds=False))
        return real_spawn(*args)

    monkeypatch.setattr(autostart, "_spawn_detached", spawn_beside_another)
    try:
        with pytest.raises(DaemonUnreachable):
            # A daemon that exits at once (a bad option): its end of the pipe
            # closes, and only its end may keep the wait going.
            autostart.start_daemon(socket_dir / "d.sock", ["--samples", "many"])
        assert bystanders[0].poll() is None, "waited for an unrelated process to exit"
    finally:
        for bystander in bystanders:
            bystander.kill()
            bystander.wait()
