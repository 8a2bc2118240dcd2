"""The byte-bounded LRU table shared by both cache tiers."""

from __future__ import annotations

from glurpcd.cache.lru import SizedLRU


def test_evicts_oldest_until_within_budget() -> None:
    lru: SizedLRU[str, str] = SizedLRU(10)
    assert lru.put("a", "A", 4) == []
    assert lru.put("b", "B", 4) == []
    assert lru.put("c", "C", 4) == [("a", "A")]
    assert lru.keys() == ["b", "c"] and lru.total_bytes == 8


def test_touch_protects_from_eviction() -> None:
    lru: SizedLRU[str, str] = SizedLRU(10)
    lru.put("a", "A", 4)
    lru.put("b", "B", 4)
    assert lru.touch("a") == "A"
    assert lru.put("c", "C", 4) == [("b", "B")]


def test_oversize_item_is_refused_and_evicts_nothing() -> None:
    lru: SizedLRU[str, str] = SizedLRU(10)
    lru.put("a", "A", 4)
    assert lru.put("huge", "H", 11) == []
    assert "huge" not in lru and lru.keys() == ["a"]


def test_replacing_a_key_recounts_its_size() -> None:
    lru: SizedLRU[str, str] = SizedLRU(10)
    lru.put("a", "A", 4)
    lru.put("a", "A2", 6)
    assert lru.total_bytes == 6 and lru.size_of("a") == 6 and lru.peek("a") == "A2"
    assert lru.pop("a") == "A2" and lru.total_bytes == 0 and lru.pop("a") is None
