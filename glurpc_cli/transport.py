"""Transports: whole protocol messages in, whole messages out, over one connection.

Layer: the client's I/O boundary. `Transport` is the interface the client
uses (small enough to fake: see `glurpc_cli.mock`); `UnixTransport` is the
real one. It owns one connected socket and a frame decoder, and it is the ONE
place where socket and framing errors become the public exceptions of
`errors.py` (always `raise ... from exc`). A transport knows nothing about
handshakes, request ids or operations. Before a byte is sent it checks the
default socket directory (glurpc_wire.paths) and the daemon's SO_PEERCRED
uid; the one retry it makes is a connect refused with EAGAIN (a full listen
queue), within the timeout.

    FileNotFoundError / ConnectionRefusedError on connect -> DaemonUnreachable
    PermissionError on connect, an untrusted directory
    or a daemon run by another user                     -> PermissionDenied
    EOF, reset or timeout while waiting for a message   -> DaemonUnreachable
    bytes that break the framing                        -> ProtocolMismatch
"""

from __future__ import annotations

# The C module under `socket`: the `socket` module itself builds enums of every
# constant when it loads, a few milliseconds of every `glurpc` call, and a Unix
# stream needs none of its wrappers (`socket.socket` subclasses this type).
import _socket
import os
import struct
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from glurpc_wire.codes import ErrorCode
from glurpc_wire.framing import DEFAULT_MAX_FRAME, FrameDecoder, FrameError, Message, encode_frame
from glurpc_wire.paths import is_default_runtime_dir, runtime_dir_problem

from .errors import DaemonUnreachable, PermissionDenied, ProtocolMismatch, RequestFailed

_RECV_SIZE = 256 * 1024
_UCRED = struct.Struct("3i")  # SO_PEERCRED: pid, uid, gid
_FIRST_RETRY_S = 0.001
_LAST_RETRY_S = 0.1
DAEMON_USER_ENV = "GLURPC_DAEMON_USER"
SYSTEM_DAEMON_USER = "glurpc"  # systemd/glurpcd.service's User=


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
            self._sock.shutdown(_socket.SHUT_RDWR)
        except OSError:
            pass  # already closed or never fully connected: nothing to wake

    def close(self) -> None:
        self._sock.close()


def connect_unix(path: Path, timeout: float | None) -> Transport:
    return UnixTransport(path, timeout=timeout)


def _connect(path: Path, timeout: float | None) -> _socket.socket:
    """A connected socket whose peer is trusted; not one byte is sent before."""
    _check_runtime_dir(path)
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = _FIRST_RETRY_S
    while True:
        sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except BlockingIOError as exc:
            # The listen queue is full (a connect storm): the daemon is busy,
            # not absent. Try again until the timeout, backing off.
            sock.close()
            if deadline is not None and time.monotonic() + pause > deadline:
                raise DaemonUnreachable(
                    f"glurpcd on {path} accepted no connection in time",
                    code=ErrorCode.TIMED_OUT,
                ) from exc
            _pause(pause)
            pause = min(pause * 2, _LAST_RETRY_S)
            continue
        except OSError as exc:
            sock.close()
            raise _unreachable(path, exc) from exc
        break
    try:
        _check_peer(sock, path)
    except BaseException:
        sock.close()
        raise
    return sock


def _pause(seconds: float) -> None:
    """Wait before trying a full listen queue again (nothing to wait on: the
    kernel gives no event when the queue drains)."""
    time.sleep(seconds)


def _unreachable(path: Path, exc: OSError) -> DaemonUnreachable | PermissionDenied:
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return DaemonUnreachable(f"no glurpcd listens on {path}", code=ErrorCode.DAEMON_UNREACHABLE)
    if isinstance(exc, PermissionError):
        return PermissionDenied(
            f"no permission to connect to {path}", code=ErrorCode.PERMISSION_DENIED
        )
    return DaemonUnreachable(
        f"cannot connect to {path}: {exc.strerror or exc}", code=ErrorCode.DAEMON_UNREACHABLE
    )


def _check_runtime_dir(path: Path) -> None:
    """The default directory is trusted by name alone: check it as ssh does."""
    if is_default_runtime_dir(path.parent):
        problem = runtime_dir_problem(path.parent)
        if problem:
            raise PermissionDenied(
                f"refusing the socket directory: {problem}", code=ErrorCode.PERMISSION_DENIED
            )


def _check_peer(sock: _socket.socket, path: Path) -> None:
    """Talk only to a daemon run by us, root or the configured system user:
    anyone else listening there could read the CGM data we are about to send."""
    raw = sock.getsockopt(_socket.SOL_SOCKET, _socket.SO_PEERCRED, _UCRED.size)
    _pid, uid, _gid = _UCRED.unpack(raw)
    if uid in (os.getuid(), 0) or uid == system_daemon_uid():
        return
    raise PermissionDenied(
        f"{path} is served by uid {uid}, not by you, root or the system daemon's user; "
        f"nothing was sent (set {DAEMON_USER_ENV} to trust that user's daemon)",
        code=ErrorCode.PERMISSION_DENIED,
    )


def system_daemon_uid() -> int | None:
    """The uid of the system-wide daemon: $GLURPC_DAEMON_USER (a name or a
    number), else the `glurpc` user of systemd/glurpcd.service if it exists."""
    import pwd

    name = os.environ.get(DAEMON_USER_ENV) or SYSTEM_DAEMON_USER
    if name.isdigit():
        return int(name)
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return None


def connection_lost(path: Path | str, exc: OSError | None) -> DaemonUnreachable:
    why = f": {exc.strerror or exc}" if exc is not None else ""
    return DaemonUnreachable(
        f"glurpcd on {path} closed the connection{why}", code=ErrorCode.CONNECTION_LOST
    )
