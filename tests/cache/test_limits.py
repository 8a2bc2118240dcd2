"""New cache bounds on a running store (what SIGHUP applies): the oldest
entries go, in memory and on disk (files too), and later puts obey the new
bounds."""

from __future__ import annotations

from pathlib import Path

from glurpcd.cache import CacheKey, CacheStore

from .payloads import handle_for, payload_for

KIB = 1024
PAYLOAD = 7 * KIB  # with its header, two whole 4 KiB blocks on disk


def key(number: int) -> CacheKey:
    return CacheKey("forecast", handle_for(number), "0")


def test_shrinking_bounds_evicts_oldest_first_and_removes_their_files(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=64 * KIB, disk_bytes=64 * KIB)
    for number in range(6):
        store.put(key(number), payload_for(key(number), PAYLOAD))
    store.get(key(0))  # most recently used now: it survives
    assert store.info()["entries"] == 6 and store.info()["persisted"] == 6

    evicted = store.set_limits(memory_bytes=20 * KIB, disk_bytes=30 * KIB)
    info = store.info()
    assert info["memory_limit"] == 20 * KIB and info["disk_limit"] == 30 * KIB
    assert info["bytes"] <= 20 * KIB and info["disk_bytes"] <= 30 * KIB
    assert evicted == (6 - info["entries"]) + (6 - info["persisted"])
    files = [p for p in (tmp_path / "v1").rglob("*") if p.is_file()]
    assert len(files) == info["persisted"]
    assert store.get(key(0)) == payload_for(key(0), PAYLOAD)
    assert store.get(key(1)) is None  # the oldest untouched entry went from both tiers

    store.put(key(9), payload_for(key(9), PAYLOAD))
    assert store.info()["bytes"] <= 20 * KIB


def test_growing_bounds_evicts_nothing(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=16 * KIB, disk_bytes=16 * KIB)
    store.put(key(1), payload_for(key(1), PAYLOAD))
    assert store.set_limits(memory_bytes=1024 * KIB, disk_bytes=1024 * KIB) == 0
    assert store.get(key(1)) is not None
