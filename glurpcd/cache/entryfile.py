"""One cache entry as one file: format, atomic write, verified read, tree scan.

Layer: disk storage below `CacheStore` (blocking file I/O; no locking, no
asyncio, no knowledge of LRU order). Format: a 48-byte header
(magic b"GLRC", u16 version, u16 flags, u64 payload length, sha256 of the
payload) then the payload, which is opaque bytes; nothing here ever
unpickles or interprets it.

A write goes to a temp file in the entry's own directory, is fsynced, renamed
over the final name and the directory fsynced, so the final name only ever
holds a complete file. A read trusts nothing: a short file, a foreign magic, a
length or checksum mismatch raises `CorruptEntry`, and the caller removes the
file. This module must never return payload bytes that failed verification.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from glurpcd.cache.keys import CacheKey, key_from_relative

MAGIC = b"GLRC"
FORMAT_VERSION = 1
_HEADER = struct.Struct(">4sHHQ32s")
HEADER_BYTES = _HEADER.size
TEMP_PREFIX = ".tmp-"
DEFAULT_BLOCK = 4096


class CorruptEntry(Exception):
    """An entry file that failed verification (torn, truncated or altered)."""


@dataclass(frozen=True)
class FoundEntry:
    key: CacheKey
    size: int
    mtime_ns: int


def file_size_for(payload_bytes: int) -> int:
    return HEADER_BYTES + payload_bytes


def block_size(directory: Path) -> int:
    """The allocation unit of the file system holding `directory`."""
    return os.statvfs(directory).f_frsize or DEFAULT_BLOCK


def disk_size_for(payload_bytes: int, block: int) -> int:
    """What an entry occupies on disk: its file rounded up to whole blocks
    (a 100-byte entry costs a 4 KiB block, so the bound counts blocks, not bytes)."""
    return -(-file_size_for(payload_bytes) // block) * block


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_dir(root: Path, relative: Path) -> Path:
    """Create `root/relative` one level at a time, fsyncing each new level's
    parent so a crash cannot forget a directory that holds a renamed entry."""
    current = root
    for part in relative.parts:
        parent, current = current, current / part
        try:
            os.mkdir(current, 0o700)
        except FileExistsError:
            continue
        fsync_dir(parent)
    return current


def write_entry(root: Path, relative: Path, payload: bytes) -> int:
    """Atomically store `payload` at `root/relative`; returns the file size."""
    directory = ensure_dir(root, relative.parent)
    final = directory / relative.name
    temp = directory / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        try:
            # The header goes in last, once the payload is down, so a file cut
            # short at any point carries an all-zero magic and never verifies.
            _write_all(fd, payload, offset=HEADER_BYTES)
            _write_all(fd, _header_for(payload), offset=0)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, final)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    fsync_dir(directory)
    return file_size_for(len(payload))


def _header_for(payload: bytes) -> bytes:
    digest = hashlib.sha256(payload).digest()
    return _HEADER.pack(MAGIC, FORMAT_VERSION, 0, len(payload), digest)


def _write_all(fd: int, data: bytes, *, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def read_entry(path: Path) -> bytes:
    """The verified payload at `path`. Raises FileNotFoundError or CorruptEntry."""
    with open(path, "rb") as handle:
        blob = handle.read()
    if len(blob) < HEADER_BYTES:
        raise CorruptEntry(f"{path}: {len(blob)} bytes, shorter than the header")
    magic, version, _flags, length, digest = _HEADER.unpack_from(blob)
    if magic != MAGIC or version != FORMAT_VERSION:
        raise CorruptEntry(f"{path}: not a version {FORMAT_VERSION} cache entry")
    payload = blob[HEADER_BYTES:]
    if len(payload) != length:
        raise CorruptEntry(f"{path}: payload is {len(payload)} bytes, header says {length}")
    if hashlib.sha256(payload).digest() != digest:
        raise CorruptEntry(f"{path}: checksum mismatch")
    return payload


def remove_entry(root: Path, relative: Path) -> None:
    """Unlink an entry and prune its now-empty handle and prefix directories."""
    (root / relative).unlink(missing_ok=True)
    prune_empty_dirs(root, relative.parent)


def prune_empty_dirs(root: Path, handle_dir: Path) -> None:
    """Remove `root/handle_dir` and its prefix directory if they are empty."""
    for directory in (handle_dir, handle_dir.parent):
        try:
            os.rmdir(root / directory)
        except OSError:
            break  # not empty (or already gone): stop pruning


def scan_tree(root: Path, stuck_temps: list[Path] | None = None) -> Iterator[FoundEntry]:
    """Every entry file under `root` with its size and mtime; temp files that a
    killed writer left behind are removed on the way (those that cannot be,
    on a read-only directory, are skipped and listed in `stuck_temps`);
    foreign files are ignored."""
    if not root.is_dir():
        return
    for dirpath, _dirnames, filenames in os.walk(root):
        directory = Path(dirpath)
        for filename in filenames:
            path = directory / filename
            if filename.startswith(TEMP_PREFIX):
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    if stuck_temps is not None:
                        stuck_temps.append(path)
                continue
            key = key_from_relative(path.relative_to(root).parts)
            if key is None:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            yield FoundEntry(key, stat.st_size, stat.st_mtime_ns)
