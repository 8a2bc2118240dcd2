"""Deterministic payloads and keys shared by the cache tests and the storm child."""

from __future__ import annotations

import hashlib
import random

from glurpcd.cache import CacheKey


def handle_for(number: int) -> str:
    return hashlib.sha256(f"handle-{number}".encode()).hexdigest()


def payload_for(key: CacheKey, size: int) -> bytes:
    """The one value a key ever holds in these tests, so any stored bytes can
    be checked against it without remembering what was written."""
    seed = int.from_bytes(hashlib.sha256(repr(key).encode()).digest()[:8], "big")
    # A repeated 4 KiB random block: unique per key and cheap, so the storm
    # child spends its time writing rather than generating.
    block = random.Random(seed).randbytes(4096)
    return (block * (size // len(block) + 1))[:size]
