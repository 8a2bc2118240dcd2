"""A least-recently-used table bounded by a byte budget (pure: no I/O, no locks).

Layer: bookkeeping for both cache tiers. The memory tier stores payloads in
it; the disk tier stores only file sizes, so eviction order and byte totals are
computed the same way for both. The caller holds the store's lock; this class
must never do I/O or block.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SizedLRU(Generic[K, V]):
    def __init__(self, limit_bytes: int) -> None:
        if limit_bytes < 0:
            raise ValueError("an LRU byte limit cannot be negative")
        self.limit_bytes = limit_bytes
        self.total_bytes = 0
        # Oldest first: the front is the next victim.
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def keys(self) -> list[K]:
        """Keys oldest first (a copy, safe to iterate while mutating)."""
        return list(self._items)

    def items(self) -> Iterator[tuple[K, V]]:
        for key, (value, _size) in self._items.items():
            yield key, value

    def fits(self, size: int) -> bool:
        return size <= self.limit_bytes

    def peek(self, key: K) -> V | None:
        item = self._items.get(key)
        return None if item is None else item[0]

    def size_of(self, key: K) -> int:
        item = self._items.get(key)
        return 0 if item is None else item[1]

    def touch(self, key: K) -> V | None:
        """The value for `key`, now marked most recently used."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V, size: int) -> list[tuple[K, V]]:
        """Insert as most recent; returns what was evicted to stay in budget.

        An item larger than the whole budget is not stored at all (and evicts
        nothing), so one huge value cannot empty the tier.
        """
        self.pop(key)
        if not self.fits(size):
            return []
        self._items[key] = (value, size)
        self.total_bytes += size
        return self.resize(self.limit_bytes)

    def resize(self, limit_bytes: int) -> list[tuple[K, V]]:
        """A new budget; returns what was evicted (oldest first) to fit it."""
        if limit_bytes < 0:
            raise ValueError("an LRU byte limit cannot be negative")
        self.limit_bytes = limit_bytes
        evicted: list[tuple[K, V]] = []
        while self.total_bytes > self.limit_bytes:
            victim, (victim_value, victim_size) = self._items.popitem(last=False)
            self.total_bytes -= victim_size
            evicted.append((victim, victim_value))
        return evicted

    def pop(self, key: K) -> V | None:
        item = self._items.pop(key, None)
        if item is None:
            return None
        self.total_bytes -= item[1]
        return item[0]

    def clear(self) -> None:
        self._items.clear()
        self.total_bytes = 0
