"""The generator is deterministic and its knobs do what they say."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from tests.support import synthetic as syn


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = syn.to_dexcom(*syn.make_trace(days=2, seed=5, gaps=2, duplicates=2))
    assert first == syn.to_dexcom(*syn.make_trace(days=2, seed=5, gaps=2, duplicates=2))
    assert first != syn.to_dexcom(*syn.make_trace(days=2, seed=6, gaps=2, duplicates=2))


def test_trace_is_plausible() -> None:
    times, values = syn.make_trace(days=3, seed=1)
    assert len(times) == 3 * 288
    assert 40 <= values.min() and values.max() <= 400
    assert 90 < values.mean() < 180 and values.std() > 10
    steps = np.diff([t.timestamp() for t in times])
    assert np.all(np.abs(steps - 300) <= 4)


def test_knobs() -> None:
    base, _ = syn.make_trace(days=2, seed=3)
    gappy, _ = syn.make_trace(days=2, seed=3, gaps=2)
    assert len(gappy) < len(base)
    dups, _ = syn.make_trace(days=2, seed=3, duplicates=4)
    assert len(dups) - len(set(dups)) == 4
    _, wild = syn.make_trace(days=2, seed=3, out_of_range=2)
    assert wild.max() > 400 and wild.min() < 40
    spring, _ = syn.make_trace(days=2, seed=3, dst="spring")
    fall, _ = syn.make_trace(days=2, seed=3, dst="fall")
    assert max(np.diff([t.timestamp() for t in spring])) > 3600
    assert min(b - a for a, b in zip(fall, fall[1:], strict=False)) < timedelta(0)
