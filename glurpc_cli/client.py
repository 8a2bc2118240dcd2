"""The synchronous Python client for glurpcd (docs/PROTOCOL.md), usable from a notebook.

Layer: requests over one `Transport`. It owns the handshake, the per-connection
request ids (increasing from 1) and the mapping of final frames to results or
exceptions. It never touches sockets directly (the transport translates their
errors), never imports anything heavy, and never retries a failed request.

    with Client() as glurpc:
        png = glurpc.plot(csv=Path("cgm.csv").read_bytes(), index=-3)["image"]

Its indices are the wire's (-3 is `--index 3`); `glurpc_local` is the notebook API
in the CLI's numbering, with dataclass results.

A KeyboardInterrupt during a call closes the connection, which cancels the
request on the daemon; the next call opens a fresh connection.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from glurpc_wire import messages
from glurpc_wire.codes import ErrorCode
from glurpc_wire.paths import default_socket_path

from . import __version__
from .errors import (
    DaemonUnreachable,
    GlurpcError,
    ProtocolMismatch,
    RequestFailed,
    error_from_frame,
)
from .transport import Connect, Transport, connect_unix

ProgressCallback = Callable[[dict[str, Any]], None]


class Client:
    """One connection to glurpcd; one call at a time (use one Client per thread)."""

    def __init__(
        self,
        socket: str | os.PathLike[str] | None = None,
        *,
        autostart: bool = False,
        timeout: float | None = None,
        client_name: str = f"glurpc-py/{__version__}",
        connect: Connect = connect_unix,
    ) -> None:
        self.socket_path: Path = default_socket_path(socket)
        self._open_transport = connect
        self.autostart = autostart
        self.timeout = timeout
        self.client_name = client_name
        self.hello: dict[str, Any] = {}
        self.daemon_pid: int | None = None  # set when this client started the daemon
        self._next_id = 1
        self._closed = False
        self._transport: Transport | None = None
        self._transport = self._connect()

    # -- connection ---------------------------------------------------------

    def _connect(self) -> Transport:
        try:
            transport = self._open_transport(self.socket_path, self.timeout)
        except DaemonUnreachable:
            if not self.autostart:
                raise
            from .autostart import start_daemon  # subprocess costs: only when needed

            try:
                self.daemon_pid = start_daemon(self.socket_path)
            except DaemonUnreachable as failed:
                # Another daemon may have won the race for the socket: try it once.
                try:
                    transport = self._open_transport(self.socket_path, self.timeout)
                except DaemonUnreachable:
                    raise failed from None
            else:
                transport = self._open_transport(self.socket_path, self.timeout)
        try:
            self.hello = _handshake(transport, self.client_name)
        except BaseException:
            transport.close()
            raise
        self._next_id = 1
        return transport

    def _live_transport(self) -> Transport:
        if self._closed:
            raise GlurpcError("this client is closed", code=ErrorCode.CLIENT_CLOSED)
        if self._transport is None or self._transport.closed:
            self._transport = self._connect()
        return self._transport

    def close(self) -> None:
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    def interrupt(self) -> None:
        """From another thread: abort the call in progress (it raises DaemonUnreachable)."""
        if self._transport is not None:
            self._transport.interrupt()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- requests -----------------------------------------------------------

    def call(
        self,
        op: str,
        args: dict[str, Any] | None = None,
        *,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Send one request and wait for its final frame; returns `result["data"]`."""
        transport = self._live_transport()
        msg_id = self._next_id
        self._next_id += 1
        try:
            transport.send(messages.request(msg_id, op, args))
            return _await_final(transport, msg_id, on_progress)
        except RequestFailed:
            raise  # the request ended with its error frame: the stream is intact
        except BaseException:
            # A half-read request (Ctrl-C, a lost daemon) leaves the stream
            # unusable; closing it also cancels the request on the daemon.
            transport.close()
            raise

    def ping(self) -> dict[str, Any]:
        return self.call("ping")

    def status(self) -> dict[str, Any]:
        return self.call("status")

    def convert(self, csv: bytes) -> dict[str, Any]:
        return self.call("convert", {"csv": csv})

    def process(self, csv: bytes, *, force: bool = False) -> dict[str, Any]:
        return self.call("process", {"csv": csv, "force": force})

    def plot(
        self,
        *,
        csv: bytes | None = None,
        handle: str | None = None,
        index: int = 0,
        format: str = "png",
        units: str | None = None,
        subject: str | None = None,
        history_hours: float | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """`index` is the WIRE index: <= 0 for windows with known truth (-3 is the
        CLI's `--index 3`), 1..12 ahead. `glurpc_local.plot` speaks the CLI's numbering."""
        args = _source(csv, handle) | {"index": index, "format": format}
        args |= _present(units=units, subject=subject, history_hours=history_hours)
        return self.call("plot", args, on_progress=on_progress)

    def quick_plot(
        self, csv: bytes, *, format: str = "png", on_progress: ProgressCallback | None = None
    ) -> dict[str, Any]:
        return self.call("quick_plot", {"csv": csv, "format": format}, on_progress=on_progress)

    def forecast(
        self,
        *,
        csv: bytes | None = None,
        handle: str | None = None,
        index: int = 0,
        units: str | None = None,
        subject: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """`index` is the WIRE index, as for `plot`."""
        args = _source(csv, handle) | {"index": index}
        args |= _present(units=units, subject=subject)
        return self.call("forecast", args, on_progress=on_progress)

    def cache(self, action: str, handle: str | None = None) -> dict[str, Any]:
        args: dict[str, Any] = {"action": action}
        if handle is not None:
            args["handle"] = handle
        return self.call("cache", args)


def _handshake(transport: Transport, client_name: str) -> dict[str, Any]:
    transport.send(messages.hello(client_name))
    reply = transport.receive()
    if reply.get("type") == "error":
        raise error_from_frame(reply)
    if reply.get("type") != "hello" or reply.get("protocol") != messages.PROTOCOL_VERSION:
        raise ProtocolMismatch(
            f"glurpcd answered the handshake with {reply.get('type')!r}, "
            f"protocol {reply.get('protocol')!r} (this client speaks {messages.PROTOCOL_VERSION})"
        )
    return reply


def _await_final(
    transport: Transport, msg_id: int, on_progress: ProgressCallback | None
) -> dict[str, Any]:
    while True:
        message = transport.receive()
        kind = message.get("type")
        target = message.get("id")
        if kind == "error" and target is None:
            # A connection-level error (bad_frame, ...): the daemon closes next.
            transport.close()
            raise error_from_frame(message)
        if target != msg_id:
            continue  # a late frame of an earlier request on this connection
        if kind == "progress":
            if on_progress is not None:
                on_progress(message)
        elif kind == "result":
            data = message.get("data")
            return data if isinstance(data, dict) else {}
        elif kind == "error":
            raise error_from_frame(message)
        else:
            transport.close()
            raise ProtocolMismatch(f"unexpected {kind!r} frame for request {msg_id}")


def _present(**options: Any) -> dict[str, Any]:
    """The options that were given (the daemon applies its defaults to the rest)."""
    return {key: value for key, value in options.items() if value is not None}


def _source(csv: bytes | None, handle: str | None) -> dict[str, Any]:
    if (csv is None) == (handle is None):
        raise ValueError("give exactly one of csv= or handle=")
    return {"csv": csv} if csv is not None else {"handle": handle}
