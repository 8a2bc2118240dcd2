"""P prepared points give P - 107 windows."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from glurpc_core.ingest import IngestError, prepare
from tests.support import synthetic as syn

START = datetime(2024, 3, 4, 6, 0, 20)


def _span(minutes: int) -> bytes:
    """Readings every 5 minutes from START, the last one exactly `minutes` later."""
    times = [START + timedelta(minutes=m) for m in range(0, minutes - 4, 5)]
    if times[-1] != START + timedelta(minutes=minutes):
        times.append(START + timedelta(minutes=minutes))
    return syn.to_generic(times, [100.0 + (k % 40) for k in range(len(times))])


@pytest.mark.parametrize(("minutes", "points"), [(535, 108), (540, 109), (541, 109), (1080, 217)])
def test_window_count(minutes: int, points: int) -> None:
    series = prepare(_span(minutes)).series
    assert series.points == points
    assert series.windows == points - 107


def test_fourteen_days() -> None:
    series = prepare(syn.to_dexcom(*syn.make_trace(days=14, seed=2))).series
    assert series.points == 14 * 288
    assert series.windows == series.points - 107
    assert series.index_range() == (-(series.points - 108), 12)


def test_one_point_short_of_a_window() -> None:
    with pytest.raises(IngestError) as caught:
        prepare(_span(530))
    assert caught.value.code == "too_short"
    assert caught.value.details["points"] == 107
