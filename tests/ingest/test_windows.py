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


def test_eight_and_a_half_hours_serve_the_next_hour_only() -> None:
    # One 8.5-hour stretch was refused ("one forecast window needs 540 minutes"):
    # no window has its next hour in the data, but the hour after the last
    # reading needs only the 8 hours before it.
    prepared = prepare(_span(510))
    series = prepared.series
    assert (series.points, series.windows) == (103, 0)
    assert series.first_ahead() == 108 - 103
    assert series.index_range() == (5, 12)
    assert series.has_index(12) and not series.has_index(0) and not series.has_index(4)
    assert series.input_start(12) == series.points - 96  # the last 8 hours
    assert series.index_at(series.times[-1]) == 12
    rows = prepared.report["accounting"]
    assert rows["used"] == 103 and rows["too_short"] == 0


def test_one_point_short_of_the_next_hours_history() -> None:
    with pytest.raises(IngestError) as caught:
        prepare(_span(470))
    assert caught.value.code == "too_short"
    assert caught.value.details["points"] == 95
    assert "the last 480 minutes" in caught.value.message
