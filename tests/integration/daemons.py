"""Real glurpcd processes and raw protocol connections for integration tests.

A daemon is started as `python -m glurpcd` on a temporary socket and state
directory; readiness is awaited on a pipe (`--ready-fd`), never by polling.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glurpc_wire import framing
from glurpc_wire import messages as wire

READY_TIMEOUT_S = 120.0
REPLY_TIMEOUT_S = 120.0


@dataclass
class DaemonProcess:
    process: subprocess.Popen[bytes]
    socket: Path
    state_dir: Path
    log_path: Path
    args: list[str] = field(default_factory=list)

    def connect(self, **kwargs: Any) -> RawConnection:
        return RawConnection(self.socket, **kwargs)

    def cli(self, *args: str) -> list[str]:
        """The command line of `glurpc ARGS` against this daemon (never autostarting)."""
        return [
            sys.executable,
            "-m",
            "glurpc_cli",
            "--socket",
            str(self.socket),
            "--no-autostart",
            *args,
        ]

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


# Options for a daemon that does only what its test asks: no background
# forecasts, images rendered in-process.
QUIET = ("--precompute-hours", "0", "--render-workers", "0")


def launch(
    socket_path: Path,
    state_dir: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    wait_ready: bool = True,
    prefix: list[str] | None = None,
) -> DaemonProcess:
    """Start a daemon and (by default) block until it reports READY;
    `prefix` runs it under a wrapper command that ends by exec'ing the rest."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "daemon.log"
    read_fd, write_fd = os.pipe()
    args = [
        sys.executable,
        "-m",
        "glurpcd",
        "--socket",
        str(socket_path),
        "--state-dir",
        str(state_dir),
        "--ready-fd",
        str(write_fd),
        *extra,
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [*(prefix or []), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(write_fd,),
            env={**os.environ, **(env or {})},
        )
    os.close(write_fd)
    daemon = DaemonProcess(process, socket_path, state_dir, log_path, args)
    with os.fdopen(read_fd, "rb") as ready:
        if wait_ready:
            line = ready.readline()  # EOF if the daemon exits first
            if line.strip() != b"READY":
                daemon.kill()
                raise RuntimeError(f"daemon did not become ready:\n{daemon.log()}")
    return daemon


class RawConnection:
    """A plain blocking socket speaking frames, for tests that need to send
    exactly what they choose (garbage included)."""

    def __init__(self, path: Path, *, hello: bool = True, timeout: float = REPLY_TIMEOUT_S) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(str(path))
        self.decoder = framing.FrameDecoder()
        self.pending: list[dict[str, Any]] = []
        self.next_id = 0
        self.server_hello: dict[str, Any] | None = None
        if hello:
            self.send(wire.hello("tests/1"))
            self.server_hello = self.receive()

    def send(self, message: dict[str, Any]) -> None:
        self.sock.sendall(framing.encode_frame(message))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def receive(self) -> dict[str, Any]:
        """The next frame; raises EOFError when the daemon closed."""
        while not self.pending:
            data = self.sock.recv(1 << 16)
            if not data:
                raise EOFError("daemon closed the connection")
            self.pending.extend(self.decoder.feed(data))
        return self.pending.pop(0)

    def request(self, op: str, args: dict[str, Any] | None = None) -> int:
        self.next_id += 1
        self.send(wire.request(self.next_id, op, args))
        return self.next_id

    def final(self, msg_id: int | None = None) -> dict[str, Any]:
        """Skip progress frames until a result/error (for `msg_id` if given)."""
        while True:
            frame = self.receive()
            if frame["type"] in ("result", "error") and msg_id in (None, frame.get("id")):
                return frame

    def call(self, op: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.final(self.request(op, args))

    def closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def launch_under(base: Path, *extra: str, **options: Any) -> DaemonProcess:
    """`launch` with the socket and the state directory both under `base`."""
    return launch(base / "run" / "glurpcd.sock", base / "state", *extra, **options)
