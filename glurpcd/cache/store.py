"""The daemon's two-tier cache: a byte-bounded memory LRU over a byte-bounded
directory of checksummed, atomically written entry files.

Layer: storage, called from worker threads (and, for the memory-only calls
`put(persist=False)`, `contains` and `info`, from the event loop). It stores
opaque bytes that callers encoded in safe formats; it must never unpickle,
interpret payloads, import asyncio, or serve bytes that failed verification.

Locking: `_lock` guards the two LRU tables and the counters and is never held
across I/O, so the event loop's memory calls cannot stall behind an fsync.
`_io_lock` serialises every disk mutation (write, delete, evict, corrupt-file
removal) so a removal can never race a rename of the same path. Order: take
`_io_lock` before `_lock`, never the reverse.

A key names one value (the daemon's keys are content digests, so it never
stores other bytes under a key; the store still copes). The memory flag
`persisted` means "the file on disk holds exactly these bytes". A memory-only
put of bytes not known to be on disk marks the disk entry stale: it stays
counted, is never served, and is removed when read or overwritten when
persisted. Until then a restart could bring the old bytes back.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glurpcd.cache.entryfile import (
    DEFAULT_BLOCK,
    HEADER_BYTES,
    CorruptEntry,
    block_size,
    disk_size_for,
    prune_empty_dirs,
    read_entry,
    remove_entry,
    scan_tree,
    write_entry,
)
from glurpcd.cache.keys import CacheKey, check_handle, key_from_relative
from glurpcd.cache.lru import SizedLRU

log = logging.getLogger(__name__)
LAYOUT_VERSION_DIR = "v1"


@dataclass(slots=True)
class _Resident:
    data: bytes
    persisted: bool


class CacheStore:
    def __init__(self, directory: Path | None, *, memory_bytes: int, disk_bytes: int) -> None:
        self._root = None if directory is None else Path(directory) / LAYOUT_VERSION_DIR
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._memory: SizedLRU[CacheKey, _Resident] = SizedLRU(memory_bytes)
        # Disk index: key -> stale flag (True: the file may hold older bytes).
        self._disk: SizedLRU[CacheKey, bool] = SizedLRU(disk_bytes if self._root else 0)
        self._hits = 0
        self._misses = 0
        self._block = DEFAULT_BLOCK
        if self._root is not None:
            self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._block = block_size(self._root)
            self._index_disk()

    def _index_disk(self) -> None:
        """Rebuild the disk LRU from file sizes and mtimes (no payload reads:
        checksums are verified when an entry is read). Trims to the budget."""
        assert self._root is not None
        oversize: list[CacheKey] = []
        stuck: list[Path] = []
        for found in sorted(scan_tree(self._root, stuck), key=lambda entry: entry.mtime_ns):
            size = disk_size_for(found.size - HEADER_BYTES, self._block)
            if not self._disk.fits(size):
                oversize.append(found.key)
            oversize.extend(key for key, _ in self._disk.put(found.key, False, size))
        for key in oversize:
            _discard(self._root, key.relative_path())
        if stuck:
            log.warning(
                "%d leftover temporary file(s) in %s could not be removed (read-only?);"
                " ignored, e.g. %s",
                len(stuck),
                self._root,
                stuck[0].name,
            )

    # -- reads -----------------------------------------------------------------

    def get(self, key: CacheKey) -> bytes | None:
        """Memory first, then disk (a verified disk hit is promoted to memory)."""
        with self._lock:
            resident = self._memory.touch(key)
            if resident is not None:
                self._disk.touch(key)
                self._hits += 1
                return resident.data
        data = self._read_disk(key)
        with self._lock:
            if data is None:
                self._misses += 1
                return None
            self._hits += 1
            if key not in self._memory:
                self._memory.put(key, _Resident(data, persisted=True), len(data))
        return data

    def contains(self, key: CacheKey) -> bool:
        """Whether a get could return the key now; no I/O, no counters."""
        with self._lock:
            return key in self._memory or self._disk.peek(key) is False

    def _read_disk(self, key: CacheKey) -> bytes | None:
        if self._root is None:
            return None
        with self._io_lock:
            with self._lock:
                stale = self._disk.peek(key)
            if stale is None:
                return None
            relative = key.relative_path()
            try:
                if stale:
                    raise CorruptEntry("superseded by newer bytes held in memory")
                data = read_entry(self._root / relative)
            except (CorruptEntry, OSError) as exc:
                log.info("cache entry %s/%s/%r rejected: %s", *_describe(key), exc)
                _discard(self._root, relative)
                with self._lock:
                    self._disk.pop(key)
                    self._mark_unpersisted(key)
                return None
            with self._lock:
                self._disk.touch(key)
            _mark_used(self._root / relative)
            return data

    # -- writes ----------------------------------------------------------------

    def put(self, key: CacheKey, data: bytes, *, persist: bool = True) -> None:
        """Store in memory now; with `persist`, also write through to disk."""
        data = bytes(data)
        with self._lock:
            current = self._memory.peek(key)
            on_disk = current is not None and current.persisted and current.data == data
            if not on_disk and key in self._disk:
                self._disk.put(key, True, self._disk.size_of(key))  # may hold other bytes
            self._memory.put(key, _Resident(data, persisted=on_disk), len(data))
        if persist and not on_disk:
            self._write_disk(key, data)

    def _write_disk(self, key: CacheKey, data: bytes) -> bool:
        size = disk_size_for(len(data), self._block)
        if self._root is None or not self._disk.fits(size):
            return False
        with self._io_lock:
            with self._lock:
                resident = self._memory.peek(key)
                if resident is not None and resident.data != data:
                    return False  # superseded by a newer put, which persists itself
            try:
                write_entry(self._root, key.relative_path(), data)
            except OSError as exc:
                log.warning("cache entry %s/%s/%r not persisted: %s", *_describe(key), exc)
                with self._lock:
                    self._disk.pop(key)
                    self._mark_unpersisted(key)
                _discard(self._root, key.relative_path())  # whatever is there is unknown
                return False
            with self._lock:
                evicted = [victim for victim, _ in self._disk.put(key, False, size)]
                resident = self._memory.peek(key)
                if resident is not None:
                    resident.persisted = resident.data == data
                for victim in evicted:
                    self._mark_unpersisted(victim)
            for victim in evicted:
                _discard(self._root, victim.relative_path())
        return True

    def _mark_unpersisted(self, key: CacheKey) -> None:
        # Caller holds _lock. Keeps `persisted` true only while a file backs it,
        # so a later persisting put of the same bytes is not skipped.
        resident = self._memory.peek(key)
        if resident is not None:
            resident.persisted = False

    def save(self) -> int:
        """Persist the memory entries not yet on disk, among the most recent
        ones the disk budget can hold, so repeated saves do not churn."""
        with self._lock:
            room = self._disk.limit_bytes
            pending: list[tuple[CacheKey, bytes]] = []
            for key, resident in reversed(list(self._memory.items())):
                room -= disk_size_for(len(resident.data), self._block)
                if room < 0:
                    break
                if not resident.persisted:
                    pending.append((key, resident.data))
        # Oldest first, so each save leaves the disk LRU in memory's order.
        return sum(self._write_disk(key, data) for key, data in reversed(pending))

    def load(self) -> int:
        """Read the most recent verified disk entries into the free memory
        budget; returns how many were loaded."""
        with self._lock:
            free = self._memory.limit_bytes - self._memory.total_bytes
            fresh = [
                key
                for key in reversed(self._disk.keys())
                if self._disk.peek(key) is False and key not in self._memory
            ]
        chosen: list[CacheKey] = []
        for key in fresh:  # the index counts blocks: the file's size tells the payload's
            payload = self._payload_size(key)
            if payload is not None and payload <= free:
                chosen.append(key)
                free -= payload
        loaded = 0
        for key in reversed(chosen):  # oldest first keeps the disk LRU order
            data = self._read_disk(key)
            with self._lock:
                if data is not None and key not in self._memory:
                    self._memory.put(key, _Resident(data, persisted=True), len(data))
                    loaded += 1
        return loaded

    def _payload_size(self, key: CacheKey) -> int | None:
        assert self._root is not None
        try:
            return (self._root / key.relative_path()).stat().st_size - HEADER_BYTES
        except OSError:
            return None

    # -- removal ---------------------------------------------------------------

    def delete_handle(self, handle: str) -> int:
        """Remove every kind of entry for `handle`, memory and disk."""
        check_handle(handle)
        with self._io_lock:
            with self._lock:
                keys = {k for k in self._memory.keys() if k.handle == handle}
                keys |= {k for k in self._disk.keys() if k.handle == handle}
                for key in keys:
                    self._memory.pop(key)
                    self._disk.pop(key)
            if self._root is not None:
                keys |= self._remove_handle_files(handle)
        return len(keys)

    def _remove_handle_files(self, handle: str) -> set[CacheKey]:
        """Unlink every file in the handle's directories, indexed or not."""
        assert self._root is not None
        removed: set[CacheKey] = set()
        for kind_dir in _subdirs(self._root):
            handle_dir = kind_dir / handle[:2] / handle
            for path in _files(handle_dir):
                key = key_from_relative(path.relative_to(self._root).parts)
                if key is not None:
                    removed.add(key)
                _discard(self._root, path.relative_to(self._root))
            prune_empty_dirs(self._root, handle_dir.relative_to(self._root))
        return removed

    def flush(self) -> int:
        """Drop everything, memory and disk; returns the distinct entries removed."""
        with self._io_lock:
            with self._lock:
                keys = set(self._memory.keys()) | set(self._disk.keys())
                self._memory.clear()
                self._disk.clear()
            if self._root is not None:
                for found in list(scan_tree(self._root)):
                    keys.add(found.key)
                    _discard(self._root, found.key.relative_path())
        return len(keys)

    def set_limits(self, *, memory_bytes: int, disk_bytes: int) -> int:
        """New bounds for a running daemon (SIGHUP); returns how many entries
        were evicted to fit them, oldest first, files included."""
        with self._io_lock:  # no disk write may land between the trim and its files
            with self._lock:
                dropped = len(self._memory.resize(memory_bytes))
                disk_victims = [
                    key for key, _ in self._disk.resize(disk_bytes if self._root else 0)
                ]
                for key in disk_victims:
                    self._mark_unpersisted(key)
            if self._root is not None:
                for key in disk_victims:
                    _discard(self._root, key.relative_path())
        return dropped + len(disk_victims)

    # -- reporting -------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """`entries`/`bytes` describe memory; `persisted`/`disk_bytes` the disk."""
        with self._lock:
            return {
                "entries": len(self._memory),
                "persisted": len(self._disk),
                "bytes": self._memory.total_bytes,
                "disk_bytes": self._disk.total_bytes,
                "hits": self._hits,
                "misses": self._misses,
                "memory_limit": self._memory.limit_bytes,
                "disk_limit": self._disk.limit_bytes,
            }


def _describe(key: CacheKey) -> tuple[str, str, str]:
    return key.kind, key.handle, key.name


def _discard(root: Path, relative: Path) -> None:
    # Removal is best effort: an undeletable file is already out of the index.
    try:
        remove_entry(root, relative)
    except OSError as exc:
        log.warning("cache file %s not removed: %s", root / relative, exc)


def _mark_used(path: Path) -> None:
    # The mtime is the disk LRU order a restart rebuilds; losing it is harmless.
    try:
        os.utime(path)
    except OSError:
        pass


def _subdirs(directory: Path) -> list[Path]:
    try:
        return [entry for entry in directory.iterdir() if entry.is_dir()]
    except FileNotFoundError:
        return []


def _files(directory: Path) -> list[Path]:
    try:
        return [entry for entry in directory.iterdir() if entry.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return []
