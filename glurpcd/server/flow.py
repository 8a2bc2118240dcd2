"""Flow control for one connection's bytes: what it may hold, and for how long.

Layer: connection plumbing (event loop only), used by `connection.py`.
- Incoming: a frame being received reserves its announced length against a
  daemon-wide budget of partial-frame bytes (`PartialFrameBudget`), and must
  complete within `frame_timeout_s` of its first byte.
- Outgoing: a connection whose results pile up unread (write buffer above the
  high-water mark) is not read, so it starts no new requests; if the buffer
  does not drain within `write_deadline_s`, a watchdog drops the connection.
  At most `max_open_requests` run at once per connection.
- Memory: once a large buffer is released, the heap is trimmed (debounced),
  so a storm's memory goes back to the system without waiting for a model run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from glurpc_core.memory import HeapTrimmer
from glurpc_wire.codes import ErrorCode
from glurpc_wire.framing import FrameDecoder, FrameError

READ_CHUNK = 256 * 1024
LARGE_BUFFER = 1024 * 1024  # releasing this much is worth a heap trim


@dataclass(frozen=True)
class FlowSettings:
    write_high_water: int = 4 * 1024 * 1024
    write_deadline_s: float = 30.0
    frame_timeout_s: float = 30.0
    # A CLI connection has one request open; pipelining clients wait their turn.
    max_open_requests: int = 32
    partial_frame_budget: int = 128 * 1024 * 1024


class PartialFrameBudget:
    """Bytes all connections may hold in frames not yet complete."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def reserve(self, size: int) -> bool:
        if self.held + size > self.limit:
            return False
        self.held += size
        return True

    def release(self, size: int) -> None:
        self.held -= size


class HeapTrim:
    """Debounced `malloc_trim` after large buffers are freed (runs off the loop)."""

    def __init__(self, delay_s: float = 0.2) -> None:
        self._trimmer = HeapTrimmer()
        self._delay_s = delay_s
        self._pending: asyncio.TimerHandle | None = None

    def request(self) -> None:
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.call_later(self._delay_s, self._run, loop)

    def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        self._pending = None
        loop.run_in_executor(None, self._trimmer.release)


class ConnectionFlow:
    """The read side's gate for one connection."""

    def __init__(self, settings: FlowSettings, budget: PartialFrameBudget, trim: HeapTrim) -> None:
        self.settings = settings
        self._budget = budget
        self._trim = trim
        self._reserved = 0
        self._frame_started: float | None = None
        self._slot_freed = asyncio.Event()
        self._watchdog: asyncio.Task[None] | None = None
        self.held_large = False  # a large frame or write buffer passed through

    def attach(self, writer: asyncio.StreamWriter) -> None:
        # drain() then waits while the buffer is above the mark, until it is below a quarter.
        writer.transport.set_write_buffer_limits(high=self.settings.write_high_water)

    async def read(self, reader: asyncio.StreamReader, decoder: FrameDecoder) -> bytes:
        """The next chunk; a frame left incomplete too long is a framing error."""
        if self._frame_started is None:
            return await reader.read(READ_CHUNK)
        timeout = self.settings.frame_timeout_s
        remaining = self._frame_started + timeout - time.monotonic()
        try:
            return await asyncio.wait_for(reader.read(READ_CHUNK), max(0.0, remaining))
        except TimeoutError:
            raise FrameError(
                ErrorCode.BAD_FRAME,
                f"incomplete frame: {decoder.buffered} of {decoder.expected or '?'} bytes"
                f" received in {timeout:g} s",
            ) from None

    def account(self, decoder: FrameDecoder) -> None:
        """Reserve the frame in progress against the daemon-wide budget."""
        partial = decoder.expected is not None or decoder.buffered > 0
        self._frame_started = (self._frame_started or time.monotonic()) if partial else None
        wanted = decoder.expected or 0
        if wanted == self._reserved:
            return
        self.release()
        if wanted >= LARGE_BUFFER:
            self.held_large = True
        if not self._budget.reserve(wanted):
            raise FrameError(
                ErrorCode.OVERLOADED,
                f"the daemon holds {self._budget.held} bytes of incoming frames"
                f" (limit {self._budget.limit}); retry later",
                {"retry_after": 1.0, "reason": "partial_frames"},
            )
        self._reserved = wanted

    def release(self) -> None:
        self._budget.release(self._reserved)
        self._reserved = 0

    def wrote(self, writer: asyncio.StreamWriter, on_stall: Callable[[], None]) -> None:
        """After each write: once unread results pass the mark, a watchdog
        calls `on_stall` unless they drain within the deadline."""
        if self._watchdog is not None:
            return
        if writer.transport.get_write_buffer_size() > self.settings.write_high_water:
            self.held_large = True
            self._watchdog = asyncio.create_task(self._watch(writer, on_stall))

    async def _watch(self, writer: asyncio.StreamWriter, on_stall: Callable[[], None]) -> None:
        try:
            await asyncio.wait_for(writer.drain(), self.settings.write_deadline_s)
        except TimeoutError:
            on_stall()
        except ConnectionError:
            pass  # gone already
        finally:
            self._watchdog = None

    async def admit(self, writer: asyncio.StreamWriter, open_requests: Callable[[], int]) -> None:
        """Wait until this connection may start another request: its unread
        results below the mark and a request slot free. A connection that
        never drains is dropped by the watchdog, which ends this wait."""
        while True:
            if writer.transport.get_write_buffer_size() > self.settings.write_high_water:
                await writer.drain()
            elif open_requests() >= self.settings.max_open_requests:
                self._slot_freed.clear()
                await self._slot_freed.wait()
            else:
                return

    def request_ended(self) -> None:
        self._slot_freed.set()

    def closed(self) -> None:
        self.release()
        if self._watchdog is not None:
            self._watchdog.cancel()
        if self.held_large:
            self._trim.request()
