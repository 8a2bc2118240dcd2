"""Several threads using one store at once, as the daemon's workers do: the
byte totals and the disk index must still agree with what is on disk.

A smoke test, not a proof of the lock order: it found the stale-file
accounting bug, but with the GIL it catches a missing `_io_lock` only now and
then. The ordering argument lives in the store's docstring."""

from __future__ import annotations

import threading
from pathlib import Path

from glurpcd.cache import CacheKey, CacheStore
from glurpcd.cache.entryfile import HEADER_BYTES, TEMP_PREFIX, block_size, disk_size_for, read_entry
from glurpcd.cache.keys import key_from_relative

from .payloads import handle_for, payload_for

HANDLES = [handle_for(number) for number in range(3)]


def churn(store: CacheStore, worker: int, start: threading.Barrier) -> None:
    start.wait()
    for step in range(150):
        handle = HANDLES[(worker + step) % len(HANDLES)]
        key = CacheKey("forecast", handle, str(step % 5))
        if step % 23 == worker:
            store.delete_handle(handle)
        elif step % 3 == 0:
            store.get(key)
        else:
            store.put(key, payload_for(key, 8 * 1024), persist=step % 2 == 0)


def test_concurrent_puts_gets_and_deletes_keep_the_books_straight(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=40 * 1024, disk_bytes=1 << 30)
    start = threading.Barrier(4)
    workers = [threading.Thread(target=churn, args=(store, w, start)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    root = tmp_path / "v1"
    files = [p for p in root.rglob("*") if p.is_file()]
    assert not [p for p in files if p.name.startswith(TEMP_PREFIX)]
    info = store.info()
    assert info["persisted"] == len(files), "disk index and directory disagree"
    block = block_size(root)
    assert info["disk_bytes"] == sum(
        disk_size_for(p.stat().st_size - HEADER_BYTES, block) for p in files
    )
    assert info["bytes"] <= info["memory_limit"]
    for path in files:
        key = key_from_relative(path.relative_to(root).parts)
        assert key is not None
        assert read_entry(path) == payload_for(key, 8 * 1024)
