"""One client connection: handshake, read loop, one writer, dispatch.

Layer: bytes on a socket <-> requests in the lifecycle registry. Each request
runs as its own task; a `cancel` frame or the end of the stream ends requests
through `Registry.cancel`, the lifecycle's single entry point. Malformed input
is answered with its error code and, for framing errors, the connection is
closed; nothing here can affect another connection. It never computes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from glurpc_core.errors import OpError, wire_error
from glurpc_wire import framing
from glurpc_wire import messages as wire
from glurpc_wire.codes import ErrorCode
from glurpc_wire.framing import PRE_HELLO_MAX_FRAME, FrameDecoder, FrameError
from glurpcd.lifecycle import Outcome, Registry, Request
from glurpcd.observe.logcontext import serving
from glurpcd.observe.logfields import log_field
from glurpcd.observe.trace import log_request, request_fields
from glurpcd.server.flow import ConnectionFlow
from glurpcd.server.peer import Peer

log = logging.getLogger("glurpcd.request")

OpHandler = Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any]]]

# Larger payloads are checked and decoded in a thread, off the event loop.
DECODE_OFF_LOOP_BYTES = 64 * 1024


class Connection:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        peer: Peer,
        registry: Registry,
        dispatch: Callable[[str], OpHandler | None],
        hello: Callable[[], dict[str, Any]],
        max_frame: int,
        accepting: Callable[[], bool],
        flow: ConnectionFlow,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.peer = peer
        self._registry = registry
        self._dispatch = dispatch
        self._hello = hello
        self._decoder = FrameDecoder(PRE_HELLO_MAX_FRAME)  # raised after hello
        self._max_frame = max_frame
        self._flow = flow
        flow.attach(writer)
        self._accepting = accepting
        self._open: dict[int, Request] = {}  # client message id -> request
        self._requests: asyncio.TaskGroup | None = None  # set while serving
        self._closed = False
        self._greeted = False

    def close(self, *, flush: bool = True) -> None:
        """End the stream from our side: the read loop sees EOF and `serve`
        cancels this connection's open requests and returns. With `flush`, the
        frames already written go out first, which a client that stopped
        reading can hold up forever: then close again without."""
        if flush:
            self._writer.close()
        else:
            self._writer.transport.abort()

    async def serve(self) -> None:
        """Read and answer until the stream ends. Every request runs as a task
        of this connection's TaskGroup, so `serve` returns only once each has
        sent its final frame, and a request task that fails outside its own
        handlers (a bug) is raised here, never lost."""
        async with asyncio.TaskGroup() as requests:
            self._requests = requests
            try:
                if await self._handshake():
                    await self._read_loop()
            except (ConnectionError, OSError):
                pass  # a reset is an end of stream like any other
            finally:
                self._flow.closed()
                self._closed = True
                for request in list(self._open.values()):
                    self._registry.cancel(request)
                self._writer.close()

    # -- reading ------------------------------------------------------------

    async def _next_messages(self) -> list[dict[str, Any]] | None:
        """Messages from the next chunk; None at end of stream or after a
        framing error (answered, then the connection closes). Before hello,
        only the first frame is taken."""
        while True:
            try:
                data = await self._flow.read(self._reader, self._decoder)
                if not data:
                    return None
                messages = await self._take(data, at_most=None if self._greeted else 1)
            except FrameError as exc:
                self._send(wire.error(None, None, exc.code, exc.message, exc.details))
                return None
            if messages:
                return messages

    async def _take(self, data: bytes, at_most: int | None = None) -> list[dict[str, Any]]:
        payloads = self._decoder.payloads(data, at_most)
        self._flow.account(self._decoder)
        return [await self._decode(payload) for payload in payloads]

    async def _decode(self, payload: bytes | bytearray) -> dict[str, Any]:
        limits = self._decoder.limits
        if len(payload) < DECODE_OFF_LOOP_BYTES:
            return framing.decode_payload(payload, limits)
        return await asyncio.to_thread(framing.decode_payload, payload, limits)

    async def _handshake(self) -> bool:
        messages = await self._next_messages()
        if not messages:
            return False
        first = messages[0]
        if first.get("type") != "hello" or not _is_our_protocol(first.get("protocol")):
            self._send(
                wire.error(
                    None,
                    None,
                    ErrorCode.UNSUPPORTED_PROTOCOL,
                    f"this daemon speaks protocol {wire.PROTOCOL_VERSION}"
                    " and expects a hello first",
                    {"supported": [wire.PROTOCOL_VERSION]},
                )
            )
            return False
        self._send(self._hello())
        self._greeted = True
        self._decoder.max_frame = self._max_frame
        try:
            pipelined = await self._take(b"")  # frames sent right behind the hello
        except FrameError as exc:
            self._send(wire.error(None, None, exc.code, exc.message, exc.details))
            return False
        for message in pipelined:
            self._on_message(message)
        return True

    async def _read_loop(self) -> None:
        while (messages := await self._next_messages()) is not None:
            pending = deque(messages)
            while pending:
                message = pending.popleft()
                if message.get("type") == "request":
                    # A cancel read behind this request must not wait for the
                    # slot it may be about to free.
                    self._cancel_open_ahead(pending)
                    await self._flow.admit(self._writer, lambda: len(self._open))
                self._on_message(message)  # a cancel takes no slot: never waits

    def _cancel_open_ahead(self, pending: deque[dict[str, Any]]) -> None:
        """Handle now the cancels in `pending` for requests already open (a
        cancel for one not yet started keeps its place behind it)."""
        ahead = [m for m in pending if m.get("type") == "cancel" and self._names_open(m)]
        for message in ahead:
            pending.remove(message)
            self._on_message(message)

    def _names_open(self, message: dict[str, Any]) -> bool:
        msg_id = message.get("id")
        return isinstance(msg_id, int) and msg_id in self._open

    def _on_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        msg_id = message.get("id")
        if kind == "cancel":
            request = self._open.get(msg_id) if isinstance(msg_id, int) else None
            if request is not None:
                self._registry.cancel(request)
            return
        if kind != "request":
            self._send(
                wire.error(
                    _int_or_none(msg_id),
                    None,
                    ErrorCode.BAD_REQUEST,
                    f"unexpected message type {kind!r}",
                )
            )
            return
        self._start_request(message)

    def _start_request(self, message: dict[str, Any]) -> None:
        msg_id, op, args = message.get("id"), message.get("op"), message.get("args", {})
        problem = _request_problem(msg_id, op, args)
        if problem is None and msg_id in self._open:
            # The client's protocol error. A null id keeps the in-flight request's
            # single final frame its own (docs/PROTOCOL.md "Reused request ids").
            problem = f"id {msg_id} is already in use on this connection"
            self._send(
                wire.error(None, None, ErrorCode.BAD_REQUEST, problem, {"reused_id": msg_id})
            )
            return
        if problem is not None:
            self._send(wire.error(_int_or_none(msg_id), None, ErrorCode.BAD_REQUEST, problem))
            return
        assert isinstance(msg_id, int) and isinstance(op, str)  # checked just above
        request = self._registry.open_request(op, str(self.peer))
        request.uid = self.peer.uid
        request.notify = functools.partial(self._progress, msg_id)
        self._open[msg_id] = request
        assert self._requests is not None  # messages are read only inside `serve`
        task = self._requests.create_task(self._run(msg_id, request, args or {}))
        request.task = task
        task.add_done_callback(functools.partial(self._answer_unstarted, msg_id, request))

    def _answer_unstarted(self, msg_id: int, request: Request, task: asyncio.Task[None]) -> None:
        """A task cancelled before its first step (a cancel frame in the same
        read as its request, EOF, shutdown) never enters `_run`, whose handlers
        send the final frame: send it here, so that request still gets one."""
        if self._open.get(msg_id) is request:
            outcome = request.outcome or Outcome.CANCELLED
            frame = self._cancelled_frame(msg_id, request)
            self._end(msg_id, request, request.opened_at, outcome, frame)

    def _progress(self, msg_id: int, stage: wire.Stage, **fields: int) -> None:
        self._send(wire.progress(msg_id, stage, **fields))

    # -- running one request -----------------------------------------------

    async def _run(self, msg_id: int, request: Request, args: dict[str, Any]) -> None:
        started = time.monotonic()
        subject = args.get("subject")
        request.trace.subject = subject if isinstance(subject, str) else None
        try:
            with serving((request.request_id,)):
                data = await self._call(request, args)
        except asyncio.CancelledError:
            outcome = request.outcome or Outcome.CANCELLED
            self._end(msg_id, request, started, outcome, self._cancelled_frame(msg_id, request))
            raise
        except Exception as exc:
            failure = wire_error(exc)
            if failure is None:
                log.exception(
                    "request_id=%d op=%s failed with a bug",
                    request.request_id,
                    log_field(request.op),
                )
                failure = OpError(
                    ErrorCode.INTERNAL,
                    f"internal error (request_id {request.request_id} in the daemon's log)",
                )
            frame = wire.error(
                msg_id, request.request_id, failure.code, failure.message, failure.details
            )
            self._end(msg_id, request, started, Outcome.FAILED, frame)
        else:
            frame = wire.result(msg_id, request.request_id, data)
            self._end(msg_id, request, started, Outcome.COMPLETED, frame)
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()  # backpressure: a slow reader slows only itself

    async def _call(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        handler = self._dispatch(request.op)
        if handler is None:
            raise OpError.bad_request(f"unknown op {log_field(request.op)}")
        if not self._accepting():
            raise OpError(ErrorCode.SHUTTING_DOWN, "the daemon is shutting down")
        return await handler(request, args)

    def _cancelled_frame(self, msg_id: int, request: Request) -> dict[str, Any]:
        if request.outcome is Outcome.SUPERSEDED:
            code, message = ErrorCode.SUPERSEDED, "superseded by a newer identical request"
        elif not self._accepting():
            code, message = ErrorCode.SHUTTING_DOWN, "the daemon shut down before this finished"
        else:
            code, message = ErrorCode.CANCELLED, "request cancelled"
        return wire.error(msg_id, request.request_id, code, message)

    def _end(
        self, msg_id: int, request: Request, started: float, outcome: Outcome, frame: dict[str, Any]
    ) -> None:
        """Record the outcome, log one line, send the final frame."""
        self._registry.close_request(request, outcome)
        self._open.pop(msg_id, None)
        self._flow.request_ended()
        fields = request_fields(
            request.trace,
            request_id=request.request_id,
            peer_uid=self.peer.uid,
            peer_pid=self.peer.pid,
            op=request.op,
            outcome=(request.outcome or outcome).value,
            code=frame.get("code"),
            total_s=time.monotonic() - started,
        )
        log_request(log, fields)
        self._send(frame)

    def _send(self, message: dict[str, Any]) -> None:
        """The single writer: frames are appended whole, in loop order."""
        if self._closed or self._writer.is_closing():
            return
        try:
            frame = framing.encode_frame(message, self._max_frame)
        except FrameError as exc:
            frame = framing.encode_frame(
                wire.error(message.get("id"), message.get("request_id"), exc.code, exc.message)
            )
        self._writer.write(frame)
        self._flow.wrote(self._writer, self._drop_slow_reader)

    def _drop_slow_reader(self) -> None:
        log.warning(
            "peer=%s dropped: results left unread for %g s",
            self.peer,
            self._flow.settings.write_deadline_s,
        )
        self.close(flush=False)


def _is_our_protocol(value: Any) -> bool:
    # Exactly the integer: True and 1.0 compare equal to 1 but are other types.
    return type(value) is int and value == wire.PROTOCOL_VERSION


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _request_problem(msg_id: Any, op: Any, args: Any) -> str | None:
    if _int_or_none(msg_id) is None:
        return "a request needs an integer id"
    if not isinstance(op, str):
        return "a request needs a string op"
    if args is not None and not isinstance(args, dict):
        return "args must be a map"
    return None
