"""Cache keys: validation, reversible name escaping, and confinement to the root."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glurpcd.cache import CacheKey, InvalidCacheKey
from glurpcd.cache.keys import escape_name, key_from_relative

HANDLE = "ab" * 32


@pytest.mark.parametrize("handle", ["", ".", "..", "../etc", "a/b", "a\\b", "x" * 129, "a b", "é"])
def test_bad_handles_are_rejected_with_a_code(handle: str) -> None:
    with pytest.raises(InvalidCacheKey) as caught:
        CacheKey("forecast", handle, "3")
    assert caught.value.code == "bad_request"


@pytest.mark.parametrize("kind", ["", "..", "Image", "a/b", "9x"])
def test_bad_kinds_are_rejected(kind: str) -> None:
    with pytest.raises(InvalidCacheKey):
        CacheKey(kind, HANDLE, "3")


def test_layout_matches_the_design() -> None:
    key = CacheKey("image", HANDLE, "-3.png")
    assert key.relative_path() == Path("image", "ab", HANDLE, "e-3.png")


@pytest.mark.parametrize("name", ["", ".", "..", "../../x", "a/b", "%41", "\x00", "é", "3.svg"])
def test_awkward_names_escape_and_round_trip(name: str) -> None:
    key = CacheKey("image", HANDLE, name)
    parts = key.relative_path().parts
    assert all(part not in ("", ".", "..") and "/" not in part for part in parts)
    assert key_from_relative(parts) == key


@given(st.text(max_size=60))
def test_any_name_stays_inside_the_root(name: str) -> None:
    root = Path("/cache-root")
    key = CacheKey("series", HANDLE, name)
    path = (root / key.relative_path()).resolve()
    assert path.parent == root / "series" / "ab" / HANDLE
    assert key_from_relative(key.relative_path().parts) == key


@pytest.mark.parametrize(
    "parts",
    [
        ("image", "ab", HANDLE),  # too shallow
        ("image", "ab", HANDLE, ".tmp-1-ff"),  # temp file
        ("image", "cd", HANDLE, "e3.png"),  # wrong prefix directory
        ("image", "ab", HANDLE, "e%2"),  # broken escape
        ("image", "ab", HANDLE, "e%41"),  # not how we would escape "A"
        ("image", "ab", HANDLE, "README"),  # foreign file
    ],
)
def test_foreign_paths_map_to_no_key(parts: tuple[str, ...]) -> None:
    assert key_from_relative(parts) is None


def test_escape_uses_percent_utf8() -> None:
    assert escape_name("a/é") == "ea%2F%C3%A9"
