"""Child process for the kill -9 test: writes a storm of cache entries.

Run as `python -m tests.cache.storm_writer DIR FIRST COUNT`. Two writer
threads share one store, as the daemon's worker threads do. Before each put a
thread prints `begin N`, after it `done N` (flushed), so the parent chooses
the moment of the SIGKILL by reading progress rather than by sleeping. The
print wakes the parent at once, so the kill lands while the *other* thread is
somewhere inside its own write.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from glurpcd.cache import CacheKey, CacheStore

from .payloads import handle_for, payload_for

KINDS = ("series", "forecast", "image", "upload")
WRITERS = 2


def storm_key(number: int) -> CacheKey:
    # Four entries per handle: most writes go to a directory that exists.
    group = number // 4
    return CacheKey(KINDS[group % len(KINDS)], handle_for(group), f"{number}.bin")


def storm_size(number: int) -> int:
    # 64 KiB to ~2 MiB, so a write takes long enough to be cut in the middle.
    return 64 * 1024 + (number * 7 % 16) * 128 * 1024


def number_of(key: CacheKey) -> int:
    return int(key.name.removesuffix(".bin"))


def write_share(store: CacheStore, numbers: range, progress: threading.Lock) -> None:
    for number in numbers:
        key = storm_key(number)
        payload = payload_for(key, storm_size(number))  # before `begin`: the kill lands in put
        with progress:
            print(f"begin {number}", flush=True)
        store.put(key, payload)
        with progress:
            print(f"done {number}", flush=True)


def main(directory: str, first: int, count: int) -> None:
    store = CacheStore(Path(directory), memory_bytes=1 << 20, disk_bytes=1 << 40)
    progress = threading.Lock()
    writers = [
        threading.Thread(
            target=write_share, args=(store, range(first + t, first + count, WRITERS), progress)
        )
        for t in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
