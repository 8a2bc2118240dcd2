"""What every command shares: the global options and how to reach the daemon.

Layer: CLI plumbing between click and the client library. A `Session` is built
from the global options and stored as click's context object; commands ask it
for a connected `Client`. It never connects before a command needs it, so
`--help` and `completion` never touch the socket.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import click

from glurpc_wire.codes import ErrorCode
from glurpc_wire.paths import default_socket_path

from .client import Client
from .errors import DaemonUnreachable, InputUnreadable
from .output import info

START_HINT = "start it with `glurpc daemon start` (or `systemctl --user start glurpcd.socket`)"


class Session:
    """The global options (a plain class: a dataclass costs import time here)."""

    def __init__(
        self, socket: str | None = None, autostart: bool = True, timeout: float | None = None
    ) -> None:
        self.socket = socket
        self.autostart = autostart
        self.timeout = timeout

    @property
    def socket_path(self) -> Path:
        return default_socket_path(self.socket)

    def connect(self, *, autostart: bool | None = None) -> Client:
        allowed = self.autostart if autostart is None else autostart
        try:
            return Client(self.socket, autostart=False, timeout=self.timeout)
        except DaemonUnreachable as exc:
            if not allowed or exc.code is not ErrorCode.DAEMON_UNREACHABLE:
                raise
        # Loading the model can take a while: say why nothing seems to happen.
        info(f"glurpcd is not running on {self.socket_path}; starting it")
        return Client(self.socket, autostart=True, timeout=self.timeout)


def current_session() -> Session:
    session = click.get_current_context().find_object(Session)
    return session if session is not None else Session()


_stdin_lock = threading.Lock()
_stdin_data: bytes | None = None


def read_source(path: str | os.PathLike[str]) -> bytes:
    """The bytes of an input file; `-` is stdin, read once and then served
    from memory to every window and format that asks (OSError as usual)."""
    global _stdin_data
    if os.fspath(path) != "-":
        with open(path, "rb") as source:
            return source.read()
    with _stdin_lock:
        if _stdin_data is None:
            _stdin_data = sys.stdin.buffer.read()
        return _stdin_data


def read_input(path: str | os.PathLike[str]) -> bytes:
    """`read_source` for a command's argument: an unreadable file is one error line,
    in the same words (and exit code, 1) alone or as one file of a batch."""
    try:
        return read_source(path)
    except OSError as exc:
        message = f"cannot read {os.fspath(path)}: {exc.strerror or exc}"
        raise InputUnreadable(message) from exc
