"""Cache keys and their place on disk (pure: no I/O, no asyncio).

A `CacheKey` names one stored value: `kind` ("series", "forecast", "image",
"upload"), `handle` (the hex handle or digest a value belongs to) and `name`
(e.g. "3", "3.png", "prepared"). On disk a key lives at
`<root>/<kind>/<handle[:2]>/<handle>/e<escaped name>`.

This layer must never let a client-sent string choose a path outside the root:
kinds and handles are validated against a strict alphabet (no dots, no
separators), and names are escaped so `.`, `..`, `/` and NUL cannot appear as a
path component. Every entry file name starts with `e`; temp files start with a
dot, so a directory scan tells the two apart without reading anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from glurpc_core.errors import CodedError, ErrorCode

KIND_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")
HANDLE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
MAX_NAME_CHARS = 200
ENTRY_PREFIX = "e"
# Bytes kept as-is in an escaped name; everything else becomes %XX (UTF-8).
_NAME_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


class InvalidCacheKey(CodedError):
    """A kind, handle or name that cannot name a cache entry."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.BAD_REQUEST, message)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.message,))


def check_handle(handle: str) -> str:
    if not isinstance(handle, str) or not HANDLE_RE.fullmatch(handle):
        raise InvalidCacheKey(f"cache handle {handle!r} must be 1-128 letters, digits, '_' or '-'")
    return handle


@dataclass(frozen=True)
class CacheKey:
    kind: str
    handle: str
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not KIND_RE.fullmatch(self.kind):
            raise InvalidCacheKey(f"cache kind {self.kind!r} must be lowercase letters/digits")
        check_handle(self.handle)
        if not isinstance(self.name, str) or len(self.name) > MAX_NAME_CHARS:
            raise InvalidCacheKey(f"cache name must be a string of at most {MAX_NAME_CHARS} chars")

    def relative_path(self) -> Path:
        """Where this key's file lives below the store's versioned root."""
        return Path(self.kind, self.handle[:2], self.handle, escape_name(self.name))


def escape_name(name: str) -> str:
    escaped = "".join(
        chr(byte) if byte in _NAME_SAFE else f"%{byte:02X}" for byte in name.encode("utf-8")
    )
    return ENTRY_PREFIX + escaped


def key_from_relative(parts: tuple[str, ...]) -> CacheKey | None:
    """The key stored at `kind/prefix/handle/file`, or None for a foreign file.

    Only paths this module could have produced map back to a key, so a stray
    file dropped into the tree is never mistaken for an entry.
    """
    if len(parts) != 4 or not parts[3].startswith(ENTRY_PREFIX):
        return None
    kind, prefix, handle, filename = parts
    try:
        escaped = filename[len(ENTRY_PREFIX) :]
        name = unquote(escaped, encoding="utf-8", errors="strict")
        key = CacheKey(kind, handle, name)
    except (InvalidCacheKey, UnicodeDecodeError):
        return None
    if prefix != handle[:2] or escape_name(name) != filename:
        return None
    return key
