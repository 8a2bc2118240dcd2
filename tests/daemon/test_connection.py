"""`Connection` driven through in-memory streams: handshake, request ids,
cancel frames, end of stream, framing errors and shutdown answers, with a
real lifecycle registry and op handlers gated by events (the test decides
when each op finishes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from glurpc_wire import framing
from glurpc_wire import messages as wire
from glurpcd.lifecycle import Registry, Request
from glurpcd.server.connection import Connection
from glurpcd.server.flow import ConnectionFlow, FlowSettings, HeapTrim, PartialFrameBudget
from glurpcd.server.peer import Peer

from .memory_streams import MemoryPeer

HELLO_REPLY = wire.hello_reply("glurpcd/test", {"id": "m"}, "cpu")


class GatedOps:
    """`slow` waits until the test opens its gate; `fast` answers at once."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.started = asyncio.Event()
        self.entered: asyncio.Queue[Request] = asyncio.Queue()

    async def slow(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        self.started.set()
        self.entered.put_nowait(request)
        await self.gate.wait()
        return {"done": True}

    async def fast(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        return {"echo": args.get("value")}

    def dispatch(
        self, op: str
    ) -> Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any]]] | None:
        return {"slow": self.slow, "fast": self.fast}.get(op)


def _flow(settings: FlowSettings | None = None) -> ConnectionFlow:
    return ConnectionFlow(settings or FlowSettings(), PartialFrameBudget(1 << 30), HeapTrim())


async def _serve(
    *,
    accepting: Callable[[], bool] = lambda: True,
    max_frame: int = 1 << 20,
    max_open_requests: int = 32,
) -> tuple[MemoryPeer, Registry, GatedOps, asyncio.Task[None]]:
    peer = MemoryPeer()
    registry = Registry()
    ops = GatedOps()
    connection = Connection(
        peer.reader,
        peer.writer,
        peer=Peer(pid=1, uid=0, gid=0),
        registry=registry,
        dispatch=ops.dispatch,
        hello=lambda: HELLO_REPLY,
        max_frame=max_frame,
        accepting=accepting,
        flow=_flow(FlowSettings(max_open_requests=max_open_requests)),
    )
    task = asyncio.create_task(connection.serve())
    peer.send(wire.hello("test/1"))
    await peer.wait_for(lambda frames: len(frames) >= 1)
    assert peer.frames[0] == HELLO_REPLY
    return peer, registry, ops, task


def test_requests_get_results_with_daemon_wide_ids() -> None:
    async def scenario() -> None:
        peer, registry, _, task = await _serve()
        peer.send(wire.request(1, "fast", {"value": 7}))
        peer.send(wire.request(2, "fast", {"value": 8}))
        await peer.wait_for(lambda frames: len(frames) == 3)
        first, second = peer.finals(1)[0], peer.finals(2)[0]
        assert (first["data"], second["data"]) == ({"echo": 7}, {"echo": 8})
        assert second["request_id"] == first["request_id"] + 1
        peer.hang_up()
        await task
        assert registry.open_requests == []

    asyncio.run(scenario())


def test_a_cancel_frame_ends_only_its_request_with_one_final_frame() -> None:
    async def scenario() -> None:
        peer, registry, ops, task = await _serve()
        peer.send(wire.request(1, "slow"))
        await ops.started.wait()
        peer.send(wire.cancel(1))
        await peer.wait_for(lambda frames: peer.finals(1) != [])
        assert peer.finals(1)[0]["code"] == "cancelled"
        peer.send(wire.request(2, "fast", {"value": 1}))
        await peer.wait_for(lambda frames: peer.finals(2) != [])
        assert peer.finals(2)[0]["type"] == "result"
        peer.hang_up()
        await task
        assert len(peer.finals(1)) == 1
        assert registry.open_requests == []

    asyncio.run(scenario())


def test_a_cancel_never_waits_for_a_request_slot() -> None:
    async def scenario() -> None:
        peer, registry, ops, task = await _serve(max_open_requests=2)
        peer.send(wire.request(1, "slow"))
        peer.send(wire.request(2, "slow"))
        for _ in range(2):
            await ops.entered.get()
        peer.send(wire.cancel(1))  # both slots taken, and no op will finish
        await peer.wait_for(lambda frames: peer.finals(1) != [])
        assert peer.finals(1)[0]["code"] == "cancelled" and peer.finals(2) == []
        peer.hang_up()
        await task
        assert registry.open_requests == []

    asyncio.run(scenario())


def test_a_cancel_read_behind_a_waiting_request_frees_its_slot() -> None:
    async def scenario() -> None:
        peer, registry, ops, task = await _serve(max_open_requests=2)
        peer.send(wire.request(1, "slow"))
        peer.send(wire.request(2, "slow"))
        for _ in range(2):
            await ops.entered.get()
        # One chunk: request 3 needs a slot that only the cancel behind it frees.
        peer.send_raw(
            framing.encode_frame(wire.request(3, "slow")) + framing.encode_frame(wire.cancel(1))
        )
        third = await asyncio.wait_for(ops.entered.get(), 10)
        assert peer.finals(1)[0]["code"] == "cancelled"
        assert third in registry.open_requests
        peer.hang_up()
        await task
        assert registry.open_requests == []

    asyncio.run(scenario())


def test_end_of_stream_cancels_every_open_request() -> None:
    async def scenario() -> None:
        peer, registry, ops, task = await _serve()
        peer.send(wire.request(1, "slow"))
        peer.send(wire.request(2, "slow"))
        await ops.started.wait()
        assert len(registry.open_requests) == 2
        peer.hang_up()
        await task
        assert registry.open_requests == []

    asyncio.run(scenario())


def test_a_framing_error_is_answered_then_the_connection_closes() -> None:
    async def scenario() -> None:
        peer, _, _, task = await _serve(max_frame=256)
        peer.send_raw(framing.HEADER.pack(257))  # over the limit: refused at the header
        await task
        assert peer.frames[-1]["code"] == "frame_too_large"
        assert peer.frames[-1]["id"] is None
        assert peer.closed.is_set()

    asyncio.run(scenario())


def test_garbage_after_the_header_is_a_bad_frame() -> None:
    async def scenario() -> None:
        peer, _, _, task = await _serve()
        peer.send_raw(framing.HEADER.pack(4) + b"\xc1\xc1\xc1\xc1")
        await task
        assert peer.frames[-1]["code"] == "bad_frame"

    asyncio.run(scenario())


def test_no_hello_first_is_an_unsupported_protocol() -> None:
    async def scenario() -> None:
        peer = MemoryPeer()
        connection = Connection(
            peer.reader,
            peer.writer,
            peer=Peer(pid=1, uid=0, gid=0),
            registry=Registry(),
            dispatch=GatedOps().dispatch,
            hello=lambda: HELLO_REPLY,
            max_frame=1 << 20,
            accepting=lambda: True,
            flow=_flow(),
        )
        peer.send(wire.request(1, "fast"))
        await connection.serve()
        assert [frame["code"] for frame in peer.frames] == ["unsupported_protocol"]

    asyncio.run(scenario())


def test_a_shutting_down_daemon_answers_new_requests_with_shutting_down() -> None:
    async def scenario() -> None:
        accepting = True
        peer, _, _, task = await _serve(accepting=lambda: accepting)
        accepting = False
        peer.send(wire.request(1, "fast"))
        await peer.wait_for(lambda frames: peer.finals(1) != [])
        assert peer.finals(1)[0]["code"] == "shutting_down"
        peer.hang_up()
        await task

    asyncio.run(scenario())


def test_bad_requests_are_answered_and_the_connection_stays() -> None:
    async def scenario() -> None:
        peer, _, _, task = await _serve()
        peer.send({"type": "request", "id": "seven", "op": "fast"})
        peer.send(wire.request(2, "no_such_op"))
        peer.send({"type": "mystery", "id": 3})
        peer.send(wire.request(4, "fast", {"value": 4}))
        await peer.wait_for(lambda frames: peer.finals(4) != [])
        codes = [frame.get("code") for frame in peer.frames[1:-1]]
        assert codes == ["bad_request", "bad_request", "bad_request"]
        peer.hang_up()
        await task

    asyncio.run(scenario())
