"""A window's last history point is the newest reading at or before its forecast
start, whatever the seconds of the timestamps, and no reading after it counts.

Device clocks sit at arbitrary seconds and jitter; a grid rounded to the minute
put the newest reading a few seconds after the forecast start in most windows,
so the history ended on the reading before it (issue 22).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from glurpc_core.ingest import prepare
from glurpc_core.series import INPUT_STEPS, MAX_AHEAD
from tests.support import synthetic as syn

START = datetime(2024, 3, 4, 6, 0, 0)


def _jittered(seconds_offset: int, jitter_s: int, drift_s: float, seed: int):
    """Two days of 5-minute readings at `seconds_offset` past the minute, jittering by
    up to `jitter_s` seconds and drifting by `drift_s` over the trace, with one
    outage that splits it into two stretches."""
    rng = np.random.default_rng(seed)
    count = 2 * 288
    jitter = rng.integers(-jitter_s, jitter_s + 1, size=count)
    drift = np.linspace(0, drift_s, count)
    seconds = np.arange(count) * 300 + seconds_offset + jitter + drift
    keep = np.ones(count, dtype=bool)
    keep[300:310] = False  # a 55-minute outage: two stretches, each with its own grid
    seconds = np.round(seconds[keep]).astype(int)
    values = (120 + 60 * np.sin(np.arange(count)[keep] / 20) + rng.normal(0, 3, keep.sum())).round()
    times = [START + timedelta(seconds=int(s)) for s in seconds]
    return times, values


def _readings_s(times: list[datetime]) -> np.ndarray:
    return np.array([int(t.timestamp()) for t in times])


def _newest_at_or_before(readings_s: np.ndarray, values: np.ndarray, when_s: int) -> tuple:
    at = int(np.searchsorted(readings_s, when_s, side="right")) - 1
    return readings_s[at], values[at]


@pytest.mark.parametrize(
    ("seconds_offset", "jitter_s", "drift_s"),
    [(27, 2, 0.0), (3, 3, 0.0), (58, 2, 0.0), (29, 10, 0.0), (45, 2, 40.0), (12, 0, 0.0)],
)
def test_every_window_ends_on_the_newest_reading(
    seconds_offset: int, jitter_s: int, drift_s: float
) -> None:
    times, values = _jittered(seconds_offset, jitter_s, drift_s, seed=seconds_offset)
    series = prepare(syn.to_generic(times, values)).series
    readings_s = _readings_s(times)
    grid_s = series.times.astype("datetime64[s]").astype(np.int64)
    start_s = int(START.timestamp())
    local = readings_s - start_s  # naive local times, as the series keeps them
    indices = [*series.wire_indices().tolist(), *range(1, MAX_AHEAD + 1)]
    for index in indices:
        begin = series.input_start(index)
        end = begin + INPUT_STEPS - 1
        forecast_start = int(grid_s[end]) - start_s
        when, value = _newest_at_or_before(local, values, forecast_start)
        history = series.history(np.array([begin]))[0]
        # The newest reading is the one of the forecast start's own 5-minute slot ...
        assert 0 <= forecast_start - when < 300, (index, forecast_start - when)
        # ... and it is the history's last value: nothing later, nothing older.
        assert history[-1] == pytest.approx(value), index
        assert series.last_reading_s[end] - start_s == when
    # The live forecast starts from the file's last reading.
    ahead = series.input_start(MAX_AHEAD) + INPUT_STEPS - 1
    assert series.history(np.array([series.input_start(MAX_AHEAD)]))[0][-1] == values[-1]
    assert series.last_reading_s[ahead] - start_s == local[-1]


def test_no_history_point_lies_after_the_forecast_start() -> None:
    times, values = _jittered(27, 3, 0.0, seed=1)
    series = prepare(syn.to_generic(times, values)).series
    local = _readings_s(times) - int(START.timestamp())
    grid_s = series.times.astype("datetime64[s]").astype(np.int64) - int(START.timestamp())
    # Change every reading after one forecast start: that window's history must not move.
    index = -200
    begin = series.input_start(index)
    forecast_start = int(grid_s[begin + INPUT_STEPS - 1])
    later = local > forecast_start
    changed = np.where(later, values + 50, values)
    other = prepare(syn.to_generic(times, changed)).series
    np.testing.assert_array_equal(
        series.history(np.array([begin])), other.history(np.array([begin]))
    )
    assert np.all(np.diff(series.times).astype(int)[: series.stretch_starts[1] - 1] == 300)
