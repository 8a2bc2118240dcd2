"""`cache flush` racing a disk write still in flight.

A result reaches memory at once and disk later, on the persist thread. A flush
that ran while such a write was pending would empty memory and disk, and then
the write would land and bring the entry back on disk, where the next daemon
would find it. The cache op waits for queued writes first (ResultStore's
barrier); here a write is held half-way and the flush must not start until it
has landed.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from glurpcd.cache import CacheKey, CacheStore
from glurpcd.ops.admin import AdminOps
from glurpcd.ops.data import UploadResolver
from glurpcd.ops.results import ResultStore

from .gates import GatedModel, make_engine

SIZES = {"memory_bytes": 1 << 20, "disk_bytes": 1 << 20}
# How long the broken order gets to show itself; the correct one never flushes
# while the write is held, however long this is.
FLUSH_GRACE_S = 1.0


class HeldWriteStore(CacheStore):
    """A real store whose disk writes wait for `release` once they have begun."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory, **SIZES)
        self.writing = threading.Event()
        self.release = threading.Event()
        self.flushed = threading.Event()

    def _write_disk(self, key: CacheKey, data: bytes) -> bool:
        self.writing.set()
        self.release.wait()
        return super()._write_disk(key, data)

    def flush(self) -> int:
        self.flushed.set()
        return super().flush()


def test_flush_waits_for_a_write_in_flight(tmp_path: Path) -> None:
    key = CacheKey("image", "ab" * 32, "3.png")

    async def scenario() -> bool:
        registry, engine = make_engine(GatedModel())
        store = HeldWriteStore(tmp_path)
        results = ResultStore(store)
        admin = AdminOps(
            registry,
            results,
            UploadResolver(results, engine, forecast_tag="test"),
            model_info=dict,
            device="cpu",
            engine_info=dict,
            connections=lambda: 0,
        )
        results.put(key, b"png bytes")
        await asyncio.to_thread(store.writing.wait)
        flush = asyncio.create_task(
            admin.cache(registry.open_request("cache", "test"), {"action": "flush"})
        )
        flushed_during_write = await asyncio.to_thread(store.flushed.wait, FLUSH_GRACE_S)
        store.release.set()
        reply = await flush
        results.close()
        assert reply["action"] == "flush" and reply["affected"] == 1
        return flushed_during_write

    assert not asyncio.run(asyncio.wait_for(scenario(), 30)), "flush ran during a write"
    reopened = CacheStore(tmp_path, **SIZES)
    assert reopened.get(key) is None
    assert reopened.info()["entries"] == 0
