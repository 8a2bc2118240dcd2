"""A personal AR(6) forecaster, refitted for every window on that person's own
earlier readings only (pure numpy).

Causality: the fit for a window whose forecast starts at grid position `end`
uses the rows whose target is a grid point at or before the newest reading at
or before that start (`last_reading_s[end]`). Such a point is either a reading
or interpolated between two readings that both lie at or before it, so nothing
after the forecast start leaks in. Rows never cross a gap between stretches.

One least-squares fit per window would cost W solves over growing data; instead
the normal equations are accumulated once in time order (prefix sums of x x^T
and x y) and each window reads its prefix. A small ridge keeps flat traces (a
singular design) solvable without moving real fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glurpc_core.evaluation.baselines import AR_ORDER, iterate_ar, persistence
from glurpc_core.series import INPUT_STEPS, CgmSeries

# A day of 5-minute rows before a person's own model is trusted; earlier
# windows fall back to persistence (counted in `fitted`).
MIN_ROWS = 288
RIDGE = 1.0  # (mg/dL)^2 per lag coefficient: negligible against sums of ~1e4 per row


@dataclass(frozen=True)
class PersonalForecast:
    prediction: np.ndarray  # [W, 12]
    fitted: np.ndarray  # bool [W]: False where the window fell back to persistence


def _design(series: CgmSeries, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows [R, 1 + order] (intercept, newest lag first), targets [R] and target
    times [R] (seconds), in time order, never spanning two stretches."""
    rows, targets, times = [], [], []
    seconds = series.times.astype("datetime64[s]").astype(np.int64)
    values = series.glucose.astype(np.float64)
    for first, end in series.stretch_bounds():
        if end - first <= order:
            continue
        lagged = np.lib.stride_tricks.sliding_window_view(values[first : end - 1], order)
        rows.append(lagged[:, ::-1])
        targets.append(values[first + order : end])
        times.append(seconds[first + order : end])
    if not rows:
        return np.zeros((0, order + 1)), np.zeros(0), np.zeros(0, dtype=np.int64)
    lags = np.concatenate(rows)
    design = np.concatenate([np.ones((len(lags), 1)), lags], axis=1)
    return design, np.concatenate(targets), np.concatenate(times)


def personal_ar(
    series: CgmSeries, starts: np.ndarray, history: np.ndarray, order: int = AR_ORDER
) -> PersonalForecast:
    """Forecasts [W, 12] for the windows whose inputs start at grid positions
    `starts` [W], from their causal histories [W, 96]."""
    design, targets, target_s = _design(series, order)
    assert series.last_reading_s is not None
    cutoff = series.last_reading_s[np.asarray(starts, dtype=np.int64) + INPUT_STEPS - 1]
    available = np.searchsorted(target_s, cutoff, side="right")  # rows usable per window
    fitted = available >= MIN_ROWS
    prediction = persistence(history)
    if not fitted.any():
        return PersonalForecast(prediction, fitted)
    # Prefix sums, with a zero row first so prefix[k] sums rows 0..k-1.
    gram = np.concatenate([np.zeros((1, order + 1, order + 1)), np.cumsum(
        design[:, :, None] * design[:, None, :], axis=0)])  # fmt: skip
    moment = np.concatenate([np.zeros((1, order + 1)), np.cumsum(design * targets[:, None], 0)])
    chosen = available[fitted]
    ridge = np.diag([0.0] + [RIDGE] * order)
    solution = np.linalg.solve(gram[chosen] + ridge, moment[chosen][:, :, None])[:, :, 0]
    prediction[fitted] = iterate_ar(solution[:, 0], solution[:, 1:], history[fitted])
    return PersonalForecast(prediction, fitted)
