"""An in-memory stream pair for driving `glurpcd.server.connection.Connection`
without a socket (as uvicorn tests its protocols with fake transports).

The test writes frames into the connection's reader and reads the frames the
connection wrote, decoded, from `MemoryPeer.frames`; `wait_for` blocks on a
condition over them, never on time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from glurpc_wire import framing


class _MemoryTransport(asyncio.Transport):
    """What the connection's StreamWriter writes into: frames decoded as they come."""

    def __init__(self, peer: MemoryPeer, protocol: asyncio.StreamReaderProtocol) -> None:
        super().__init__()
        self._peer = peer
        self._protocol = protocol
        self._closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._peer.receive(bytes(data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            # As a socket would: our reader sees the end of the stream.
            asyncio.get_running_loop().call_soon(self._protocol.connection_lost, None)
            self._peer.closed.set()

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass  # writes are delivered at once: nothing is ever buffered

    def get_write_buffer_size(self) -> int:
        return 0


class MemoryPeer:
    """The client's end: send frames in, watch frames come out."""

    def __init__(self) -> None:
        self.reader = asyncio.StreamReader()
        protocol = asyncio.StreamReaderProtocol(self.reader)
        self._transport = _MemoryTransport(self, protocol)
        protocol.connection_made(self._transport)
        loop = asyncio.get_running_loop()
        self.writer = asyncio.StreamWriter(self._transport, protocol, self.reader, loop)
        self.frames: list[dict[str, Any]] = []
        self.closed = asyncio.Event()
        self._decoder = framing.FrameDecoder()
        self._changed = asyncio.Condition()

    def send(self, message: dict[str, Any]) -> None:
        self.reader.feed_data(framing.encode_frame(message))

    def send_raw(self, data: bytes) -> None:
        self.reader.feed_data(data)

    def hang_up(self) -> None:
        self.reader.feed_eof()

    def receive(self, data: bytes) -> None:
        self.frames.extend(self._decoder.feed(data))
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[list[dict[str, Any]]], bool]) -> None:
        async with asyncio.timeout(10):
            async with self._changed:
                await self._changed.wait_for(lambda: condition(self.frames))

    def finals(self, msg_id: int) -> list[dict[str, Any]]:
        return [f for f in self.frames if f.get("id") == msg_id and f["type"] != "progress"]
