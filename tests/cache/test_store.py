"""CacheStore: byte-bounded LRU in memory and on disk, checksums, restart,
delete by handle, flush, save/load and counters, all on a real directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from glurpcd.cache import CacheKey, CacheStore, InvalidCacheKey
from glurpcd.cache.entryfile import HEADER_BYTES, block_size, disk_size_for

from .payloads import handle_for, payload_for

KIB = 1024


def key(number: int, name: str = "0", kind: str = "forecast") -> CacheKey:
    return CacheKey(kind, handle_for(number), name)


def entry_path(directory: Path, k: CacheKey) -> Path:
    return directory / "v1" / k.relative_path()


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_memory_lru_evicts_by_bytes() -> None:
    store = CacheStore(None, memory_bytes=10 * KIB, disk_bytes=0)
    for number in range(4):
        store.put(key(number), payload_for(key(number), 3 * KIB))
    assert store.get(key(0)) is None  # 4 x 3 KiB > 10 KiB: the oldest went
    assert store.get(key(1)) == payload_for(key(1), 3 * KIB)  # now most recent
    store.put(key(4), payload_for(key(4), 3 * KIB))
    assert store.get(key(2)) is None and store.get(key(1)) is not None
    info = store.info()
    assert info["entries"] == 3 and info["bytes"] == 9 * KIB and info["persisted"] == 0


def on_disk(directory: Path, payload: int) -> int:
    return disk_size_for(payload, block_size(directory))


def test_disk_lru_evicts_by_bytes_and_removes_files(tmp_path: Path) -> None:
    entry = on_disk(tmp_path, 2 * KIB)
    store = CacheStore(tmp_path, memory_bytes=0, disk_bytes=3 * entry)
    for number in range(3):
        store.put(key(number), payload_for(key(number), 2 * KIB))
    assert store.get(key(0)) is not None  # read from disk: now the most recent
    store.put(key(3), payload_for(key(3), 2 * KIB))
    assert not entry_path(tmp_path, key(1)).exists()
    assert store.get(key(1)) is None
    assert store.get(key(0)) == payload_for(key(0), 2 * KIB)
    info = store.info()
    assert info["persisted"] == 3 and info["disk_bytes"] == 3 * entry
    assert len(files_under(tmp_path)) == 3


def test_disk_bound_counts_the_blocks_small_entries_occupy(tmp_path: Path) -> None:
    # 300 entries of 100 bytes are 44 KiB of data but a block each on disk:
    # the bound must hold for what `du` reports, not for the bytes written.
    limit = 64 * KIB
    store = CacheStore(tmp_path, memory_bytes=0, disk_bytes=limit)
    for number in range(300):
        store.put(key(number), payload_for(key(number), 100))
    allocated = sum(path.stat().st_blocks * 512 for path in files_under(tmp_path))
    assert 0 < allocated <= limit
    assert store.info()["disk_bytes"] <= limit
    assert store.info()["persisted"] == len(files_under(tmp_path))


@pytest.mark.parametrize("where", ["payload", "header", "truncate", "empty"])
def test_damaged_file_is_a_miss_and_is_removed(tmp_path: Path, where: str) -> None:
    k = key(1, "3.png", kind="image")
    CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB).put(k, b"x" * 500)
    path = entry_path(tmp_path, k)
    blob = bytearray(path.read_bytes())
    if where == "payload":
        blob[HEADER_BYTES + 250] ^= 0x01
    elif where == "header":
        blob[10] ^= 0x01  # inside the length field
    elif where == "truncate":
        del blob[-100:]
    else:
        blob.clear()
    path.write_bytes(bytes(blob))
    reopened = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB)
    assert reopened.contains(k)
    assert reopened.get(k) is None
    assert not path.exists() and not reopened.contains(k)
    assert reopened.info()["misses"] == 1 and reopened.info()["persisted"] == 0


def test_restart_keeps_entries_and_their_lru_order(tmp_path: Path) -> None:
    size = on_disk(tmp_path, KIB)
    first = CacheStore(tmp_path, memory_bytes=0, disk_bytes=10 * size)
    for number in range(3):
        first.put(key(number), payload_for(key(number), KIB))
    for number, age in ((0, 10), (1, 30), (2, 20)):  # key(1) is the oldest
        os.utime(entry_path(tmp_path, key(number)), ns=(age * 10**9, age * 10**9))
    second = CacheStore(tmp_path, memory_bytes=0, disk_bytes=2 * size)
    assert not entry_path(tmp_path, key(0)).exists()  # trimmed to the new budget
    assert second.get(key(0)) is None
    assert second.get(key(1)) == payload_for(key(1), KIB)
    assert second.get(key(2)) == payload_for(key(2), KIB)


def test_open_removes_temp_files_and_ignores_foreign_ones(tmp_path: Path) -> None:
    k = key(5)
    CacheStore(tmp_path, memory_bytes=0, disk_bytes=KIB * KIB).put(k, b"kept")
    directory = entry_path(tmp_path, k).parent
    (directory / ".tmp-99-abc").write_bytes(b"GLRC half a write")
    (directory / "notes.txt").write_bytes(b"not ours")
    store = CacheStore(tmp_path, memory_bytes=0, disk_bytes=KIB * KIB)
    assert not (directory / ".tmp-99-abc").exists()
    assert (directory / "notes.txt").exists()
    assert store.info()["persisted"] == 1 and store.get(k) == b"kept"


def test_delete_handle_removes_every_kind_in_memory_and_on_disk(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB)
    doomed = [key(1, "prepared", "series"), key(1, "3"), key(1, "3.png", "image")]
    for k in doomed:
        store.put(k, b"v" + k.name.encode())
    store.put(key(1, "4"), b"memory only", persist=False)
    store.put(key(2, "3"), b"survivor")
    assert store.delete_handle(handle_for(1)) == 4
    assert all(store.get(k) is None for k in [*doomed, key(1, "4")])
    assert store.get(key(2, "3")) == b"survivor"
    assert files_under(tmp_path) == [entry_path(tmp_path, key(2, "3"))]
    assert store.delete_handle(handle_for(1)) == 0
    with pytest.raises(InvalidCacheKey):
        store.delete_handle("../../etc")


def test_flush_drops_memory_and_disk(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB)
    for number in range(3):
        store.put(key(number), b"on disk")
    store.put(key(9), b"memory only", persist=False)
    assert store.flush() == 4
    assert files_under(tmp_path) == []
    info = store.info()
    assert (info["entries"], info["persisted"], info["bytes"], info["disk_bytes"]) == (0, 0, 0, 0)
    assert CacheStore(tmp_path, memory_bytes=KIB, disk_bytes=KIB).info()["persisted"] == 0


def test_counters_count_gets_only(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB)
    store.put(key(1), b"a")
    assert store.contains(key(1)) and not store.contains(key(2))
    assert store.info()["hits"] == 0 and store.info()["misses"] == 0
    store.get(key(1))
    store.get(key(2))
    store.get(key(2))
    info = store.info()
    assert (info["hits"], info["misses"]) == (1, 2)
    assert (info["memory_limit"], info["disk_limit"]) == (KIB * KIB, KIB * KIB)


def test_save_persists_memory_only_entries_and_load_reads_them_back(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB)
    for number in range(3):
        store.put(key(number), payload_for(key(number), 100), persist=False)
    assert store.info()["persisted"] == 0 and files_under(tmp_path) == []
    assert store.save() == 3 and store.save() == 0
    fresh = CacheStore(tmp_path, memory_bytes=250, disk_bytes=KIB * KIB)
    assert fresh.info()["entries"] == 0
    assert fresh.load() == 2  # only two 100-byte payloads fit in 250 bytes
    assert fresh.info()["entries"] == 2 and fresh.info()["hits"] == 0
    assert fresh.load() == 0


def test_memory_put_of_new_bytes_never_lets_the_old_file_be_served(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=6, disk_bytes=KIB * KIB)
    store.put(key(1), b"old")
    store.put(key(1), b"new", persist=False)
    assert store.get(key(1)) == b"new"
    store.put(key(2), b"evicts", persist=False)  # pushes key(1) out of memory
    assert not store.contains(key(1)) and store.info()["persisted"] == 1
    assert store.get(key(1)) is None  # not the stale b"old"
    assert store.info()["persisted"] == 0 and files_under(tmp_path) == []
    store.put(key(1), b"new")  # the persisting put overwrites the stale file
    assert CacheStore(tmp_path, memory_bytes=0, disk_bytes=KIB * KIB).get(key(1)) == b"new"


def test_memory_then_persist_writes_once_and_counts_once(tmp_path: Path) -> None:
    store = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=KIB * KIB)
    store.put(key(1), b"result", persist=False)
    assert store.contains(key(1)) and store.info()["persisted"] == 0
    store.put(key(1), b"result", persist=True)
    path = entry_path(tmp_path, key(1))
    written = path.stat().st_ino
    store.put(key(1), b"result", persist=True)  # already on disk: no rewrite
    assert path.stat().st_ino == written
    info = store.info()
    assert (info["entries"], info["persisted"], info["bytes"]) == (1, 1, 6)


def test_save_keeps_the_most_recent_memory_entries_on_disk(tmp_path: Path) -> None:
    entry = on_disk(tmp_path, KIB)
    store = CacheStore(tmp_path, memory_bytes=KIB * KIB, disk_bytes=2 * entry)
    for number in range(3):
        store.put(key(number), payload_for(key(number), KIB), persist=False)
    store.put(key(0), payload_for(key(0), KIB))  # oldest put, but now the most recent
    assert store.get(key(2)) is not None  # memory order: 1, 0, 2
    assert store.save() == 1  # only key(2): key(0) is on disk, key(1) does not fit
    assert store.save() == 0  # nothing churns
    assert not entry_path(tmp_path, key(1)).exists()
    assert store.info()["persisted"] == 2


def test_memory_only_store_never_touches_disk() -> None:
    store = CacheStore(None, memory_bytes=KIB, disk_bytes=KIB * KIB)
    store.put(key(1), b"kept in memory")
    assert store.save() == 0 and store.load() == 0
    info = store.info()
    assert (info["entries"], info["persisted"], info["disk_limit"]) == (1, 0, 0)
