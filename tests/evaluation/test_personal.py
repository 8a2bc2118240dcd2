"""The personal AR: it learns a person's own dynamics, reads nothing after a
window's forecast start, and falls back to persistence before a day of data."""

from __future__ import annotations

import numpy as np

from glurpc_core.evaluation.baselines import persistence
from glurpc_core.evaluation.personal import MIN_ROWS, personal_ar
from glurpc_core.series import INPUT_STEPS, CgmSeries

START = np.datetime64("2024-01-01T00:00:00")


def ar_series(points: int, seed: int = 0) -> CgmSeries:
    """y[t+1] = 20 + 1.5 y[t] - 0.6 y[t-1] + noise (mean 200), on a 5-minute grid."""
    rng = np.random.default_rng(seed)
    values = [200.0, 200.0]
    for _ in range(points - 2):
        values.append(20 + 1.5 * values[-1] - 0.6 * values[-2] + rng.normal(0, 2))
    times = START + np.arange(points) * np.timedelta64(300, "s")
    return CgmSeries(times, np.array(values, np.float32))


def windows(series: CgmSeries, starts: np.ndarray) -> np.ndarray:
    return series.history(starts).astype(np.float64)


def test_a_window_after_enough_data_uses_the_persons_own_dynamics() -> None:
    series = ar_series(2000)
    starts = np.array([1500])
    history = windows(series, starts)
    got = personal_ar(series, starts, history)
    assert got.fitted.tolist() == [True]
    # One step ahead the process itself says 20 + 1.5 y[t] - 0.6 y[t-1].
    expected = 20 + 1.5 * history[0, -1] - 0.6 * history[0, -2]
    assert abs(got.prediction[0, 0] - expected) < 1.0


def test_windows_before_a_day_of_own_data_fall_back_to_persistence() -> None:
    series = ar_series(600)
    starts = np.array([0, MIN_ROWS])  # 90 rows, then about a day and 8 hours
    history = windows(series, starts)
    got = personal_ar(series, starts, history)
    assert got.fitted.tolist() == [False, True]
    np.testing.assert_array_equal(got.prediction[0], persistence(history[:1])[0])


def test_changing_every_reading_after_the_forecast_start_changes_nothing() -> None:
    series = ar_series(1200)
    starts = np.array([400, 700])
    before = personal_ar(series, starts, windows(series, starts)).prediction
    end = 700 + INPUT_STEPS - 1  # the second window's forecast start
    changed = series.glucose.copy()
    changed[end + 1 :] = 400.0 - changed[end + 1 :]
    altered = CgmSeries(series.times, changed)
    after = personal_ar(altered, starts, windows(altered, starts)).prediction
    np.testing.assert_array_equal(before, after)
    # ...while a change at the forecast start itself does move it (the test can fail).
    changed[end] += 30.0
    moved = CgmSeries(series.times, changed)
    assert not np.array_equal(
        before[1], personal_ar(moved, starts, windows(moved, starts)).prediction[1]
    )


def test_rows_never_cross_a_gap_between_stretches() -> None:
    series = ar_series(1200)
    # The same readings split in two stretches: the rows spanning the split go.
    split = CgmSeries(series.times, series.glucose, stretch_starts=np.array([0, 600]))
    starts = np.array([900])
    whole = personal_ar(series, starts, windows(series, starts)).prediction
    parted = personal_ar(split, starts, windows(split, starts)).prediction
    assert not np.array_equal(whole, parted)
    np.testing.assert_allclose(whole, parted, atol=1.0)  # one row of ~1000 differs
