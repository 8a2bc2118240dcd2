"""The daemon's caches: prepared series, forecasts, images and upload digests,
stored as opaque bytes in a byte-bounded memory LRU over a checksummed,
atomically written, byte-bounded disk directory (see `store.py`)."""

from glurpcd.cache.keys import CacheKey, InvalidCacheKey
from glurpcd.cache.store import CacheStore

__all__ = ["CacheKey", "CacheStore", "InvalidCacheKey"]
