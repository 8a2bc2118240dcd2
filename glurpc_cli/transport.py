"""Transports: whole protocol messages in, whole messages out, over one connection.

Layer: the client's I/O boundary. `Transport` is the interface the client
uses (small enough to fake: see `glurpc_cli.mock`); `UnixTransport` is the
real one. It owns one connected socket and a frame decoder, and it is the ONE
place where socket and framing errors become the public exceptions of
`errors.py` (always `raise ... from exc`). A transport knows nothing about
handshakes, request ids or operations, and it never retries.

    FileNotFoundError / ConnectionRefusedError on connect -> DaemonUnreachable
    PermissionError on connect                          -> PermissionDenied
    EOF, reset or timeout while waiting for a message   -> DaemonUnreachable
    bytes that break the framing                        -> ProtocolMismatch
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from glurpc_wire.codes import ErrorCode
from glurpc_wire.framing import DEFAULT_MAX_FRAME, FrameDecoder, FrameError, Message, encode_frame

from .errors import DaemonUnreachable, PermissionDenied, ProtocolMismatch, RequestFailed

_RECV_SIZE = 256 * 1024


class Transport(Protocol):
    """One connection to the daemon, as the client uses it."""

    @property
    def closed(self) -> bool: ...

    def send(self, message: Message) -> None: ...

    def receive(self) -> Message:
        """The next message; raises DaemonUnreachable at the end of the stream."""
        ...

    def interrupt(self) -> None:
        """From another thread: make a blocked `receive` raise."""
        ...

    def close(self) -> None:
        """Closing is what cancels this connection's open requests on the daemon."""
        ...


# How a client opens a connection: (socket path, timeout) -> a connected transport.
Connect = Callable[[Path, float | None], Transport]


def encode_for_sending(message: Message, max_frame: int) -> bytes:
    """The frame for `message`; one too big to send is the caller's input, not a
    broken daemon, so it fails the request alone."""
    try:
        return encode_frame(message, max_frame)
    except FrameError as exc:
        raise RequestFailed(exc.message, code=exc.code) from exc


class UnixTransport:
    """One Unix-socket connection to the daemon. Not thread-safe: one user
    thread at a time (`interrupt` excepted)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        timeout: float | None = None,
        max_frame: int = DEFAULT_MAX_FRAME,
    ) -> None:
        self.path = Path(path)
        self.max_frame = max_frame
        self._decoder = FrameDecoder(max_frame)
        self._inbox: deque[Message] = deque()
        self._sock = _connect(self.path, timeout)

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def send(self, message: Message) -> None:
        frame = encode_for_sending(message, self.max_frame)
        try:
            self._sock.sendall(frame)
        except OSError as exc:
            # The daemon may have said why before closing (permission_denied,
            # bad_frame): keep that answer for `receive` rather than hide it.
            if not self._salvage():
                self.close()
                raise connection_lost(self.path, exc) from exc

    def receive(self) -> Message:
        """The next message from the daemon; blocks until one is whole."""
        while not self._inbox:
            try:
                chunk = self._sock.recv(_RECV_SIZE)
            except TimeoutError as exc:
                self.close()
                raise DaemonUnreachable(
                    f"glurpcd on {self.path} did not answer in time", code=ErrorCode.TIMED_OUT
                ) from exc
            except OSError as exc:
                self.close()
                raise connection_lost(self.path, exc) from exc
            if not chunk:
                self.close()
                raise connection_lost(self.path, None)
            try:
                self._inbox.extend(self._decoder.feed(chunk))
            except FrameError as exc:
                self.close()
                raise ProtocolMismatch(
                    f"glurpcd sent a malformed frame: {exc.message}", code=exc.code
                ) from exc
        return self._inbox.popleft()

    def _salvage(self) -> bool:
        """Decode whatever the daemon wrote before it closed; True if a message came."""
        try:
            self._sock.setblocking(False)
            while chunk := self._sock.recv(_RECV_SIZE):
                self._inbox.extend(self._decoder.feed(chunk))
        except (OSError, FrameError):
            pass  # nothing more to read: keep what was decoded
        self.close()
        return bool(self._inbox)

    def interrupt(self) -> None:
        """Wake a thread blocked in `receive` from another thread (it then raises)."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed or never fully connected: nothing to wake

    def close(self) -> None:
        self._sock.close()


def connect_unix(path: Path, timeout: float | None) -> Transport:
    return UnixTransport(path, timeout=timeout)


def _connect(path: Path, timeout: float | None) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(os.fspath(path))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise DaemonUnreachable(
            f"no glurpcd listens on {path}", code=ErrorCode.DAEMON_UNREACHABLE
        ) from exc
    except PermissionError as exc:
        sock.close()
        raise PermissionDenied(
            f"no permission to connect to {path}", code=ErrorCode.PERMISSION_DENIED
        ) from exc
    except OSError as exc:
        sock.close()
        raise DaemonUnreachable(
            f"cannot connect to {path}: {exc}", code=ErrorCode.DAEMON_UNREACHABLE
        ) from exc
    return sock


def connection_lost(path: Path | str, exc: OSError | None) -> DaemonUnreachable:
    why = f": {exc.strerror or exc}" if exc is not None else ""
    return DaemonUnreachable(
        f"glurpcd on {path} closed the connection{why}", code=ErrorCode.CONNECTION_LOST
    )
