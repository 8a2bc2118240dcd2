"""A causal personal forecaster: direct autoregression refitted on the upload's own
readings (pure compute: numpy only; never asyncio, no I/O).

For each horizon h (5..60 minutes) a linear model predicts the glucose h steps
ahead from the last `order` values of the window's history (and a constant).
Its coefficients are a least-squares fit on the same upload's pairs (lags at j,
value at j + h) that were complete before the forecast start, plus `prior_pairs`
pseudo-pairs drawn from the population (the second moments of the Hall et al.
training subjects, `PersonalPrior`): a 1-day file forecasts like the population
model, a 90-day file like the person. Recent pairs weigh more (half-life
`halflife_points`), and the fit is redone every `refit_points` grid points from
what was complete at that point, so one solve serves an hour of windows.

Causality: the value at grid point j is interpolated from the readings around
it, the later of which lies at most one slot after j. A pair whose target is at
j + h is therefore used only by windows ending at j + h + 1 or later, and the
window's own inputs are its causal history (`CgmSeries.history`'s rule). So a
window whose forecast starts at t reads no reading after t: changing them all
leaves its forecast unchanged (tests/model/test_personal.py).

Beside each forecast it gives the person's recent error scale per horizon: the
root of an exponentially weighted mean of the squared errors of this same
forecaster on the upload's earlier windows (only those whose truth was known at
t), shrunk towards the population's by `scale_prior_pairs` pseudo-errors.
Work is linear in the series length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glurpc_core.series import OUTPUT_STEPS, CgmSeries

VALUE_UNIT = 100.0  # mg/dL per unit inside the fit, to keep the moments well scaled


@dataclass(frozen=True)
class PersonalPrior:
    """The population side of the personal forecaster, fitted on the training
    subjects (glurpc_train/personal_fit.py) and shipped as JSON."""

    order: int
    prior_pairs: float
    halflife_points: float
    refit_points: int
    scale_halflife_points: float
    scale_prior_pairs: float
    moments: np.ndarray  # [12, k, k]: mean x x^T of the population's pairs, k = order + 1
    targets: np.ndarray  # [12, k]: mean x y
    population_mse: np.ndarray  # [12]: the population's squared error per horizon (mg/dL^2)

    @classmethod
    def from_json(cls, saved: dict[str, Any]) -> PersonalPrior:
        prior = cls(
            order=int(saved["order"]),
            prior_pairs=float(saved["prior_pairs"]),
            halflife_points=float(saved["halflife_points"]),
            refit_points=int(saved["refit_points"]),
            scale_halflife_points=float(saved["scale_halflife_points"]),
            scale_prior_pairs=float(saved["scale_prior_pairs"]),
            moments=np.asarray(saved["moments"], dtype=np.float64),
            targets=np.asarray(saved["targets"], dtype=np.float64),
            population_mse=np.asarray(saved["population_mse"], dtype=np.float64),
        )
        k = prior.order + 1
        if prior.moments.shape != (OUTPUT_STEPS, k, k) or prior.targets.shape != (OUTPUT_STEPS, k):
            raise ValueError(f"personal prior: moments do not match order {prior.order}")
        return prior

    def to_json(self) -> dict[str, object]:
        return {
            "order": self.order,
            "prior_pairs": self.prior_pairs,
            "halflife_points": self.halflife_points,
            "refit_points": self.refit_points,
            "scale_halflife_points": self.scale_halflife_points,
            "scale_prior_pairs": self.scale_prior_pairs,
            "moments": self.moments.tolist(),
            "targets": self.targets.tolist(),
            "population_mse": self.population_mse.tolist(),
        }


def lags(values: np.ndarray, order: int) -> np.ndarray:
    """[N, order + 1]: a constant, then values[j], values[j-1], ... (NaN before the start)."""
    out = np.full((len(values), order + 1), np.nan)
    out[:, 0] = 1.0
    for lag in range(order):
        out[lag:, lag + 1] = values[: len(values) - lag]
    return out


def causal_lags(series: CgmSeries, order: int) -> np.ndarray:
    """[N, order + 1] inputs of a window ending at each point, from readings at or
    before that point only; NaN where the stretch has fewer than `order` points."""
    assert series.last_reading_s is not None and series.last_value is not None
    values = series.glucose.astype(np.float64) / VALUE_UNIT
    grid_s = series.times.astype("datetime64[s]").astype(np.int64)
    out = lags(values, order)
    held = series.last_value.astype(np.float64) / VALUE_UNIT
    for lag in range(order):
        # A point after the newest reading at or before the end holds that reading.
        later = np.zeros(len(values), dtype=bool)
        later[lag:] = grid_s[: len(values) - lag] > series.last_reading_s[lag:]
        out[:, lag + 1] = np.where(later, held, out[:, lag + 1])
    first = np.zeros(len(values), dtype=bool)
    for start, _ in series.stretch_bounds():
        first[start : start + order - 1] = True  # lags would reach into another stretch
    out[first] = np.nan
    return out


def _decayed_running(added: np.ndarray, halflife: float) -> np.ndarray:
    """S[t] = sum over s <= t of decay^(t - s) * added[s]. Vectorised by chunks of a
    few half-lives, inside which decay^-(t - chunk start) stays far from overflow."""
    decay = 0.5 ** (1.0 / halflife)
    out = np.empty_like(added)
    chunk = max(1, int(20 * halflife))
    carried = np.zeros(added.shape[1:])
    for begin in range(0, len(added), chunk):
        part = added[begin : begin + chunk]
        age = np.arange(len(part), dtype=np.float64).reshape(-1, *[1] * (part.ndim - 1))
        grown = np.cumsum(part * decay**-age, axis=0) * decay**age
        out[begin : begin + chunk] = grown + carried * decay ** (age + 1)
        carried = out[begin + len(part) - 1]
    return out


def _by_boundary(
    values: np.ndarray, available: np.ndarray, length: int, every: int, halflife: float
) -> tuple[np.ndarray, np.ndarray]:
    """Items laid out as [boundaries + 1, every, ...] rows, each under the refit
    boundary b = 0, every, 2 every, ... (below `length`) from which it counts, with
    its decay from completion to that boundary [boundaries + 1, every]. `available`
    is distinct: each item is a pair or error of its own point j, complete at
    j + h + 1."""
    count = -(-length // every)
    # Point a counts from boundary ceil(a / every) on: shifted by every - 1, the
    # points of one boundary share a row.
    rows = np.zeros(((count + 1) * every, *values.shape[1:]))
    weights = np.zeros((count + 1) * every)
    inside = available <= (count - 1) * every
    at = available[inside]
    rows[at + every - 1] = values[inside]
    weights[at + every - 1] = 0.5 ** ((-(-at // every) * every - at) / halflife)
    return rows.reshape(count + 1, every, *values.shape[1:]), weights.reshape(count + 1, every)


def _decayed_sums(
    values: np.ndarray, available: np.ndarray, length: int, halflife: float
) -> np.ndarray:
    """S[t] = sum over items with available <= t of decay^(t - available) * values
    [M], for t in 0..length-1."""
    rows, weights = _by_boundary(values, available, length, 1, halflife)
    return _decayed_running((rows[:, 0] * weights[:, 0])[:length], halflife)


@dataclass(frozen=True)
class PersonalForecasts:
    """Per grid point e of the series (a window ending at e): the personal forecast
    [N, 12] in mg/dL and the person's recent error scale [N, 12] (NaN where the
    stretch is too short for the lags)."""

    forecast: np.ndarray
    scale: np.ndarray


def personal_forecasts(series: CgmSeries, prior: PersonalPrior) -> PersonalForecasts:
    points = series.points
    grid_lags = lags(series.glucose.astype(np.float64) / VALUE_UNIT, prior.order)
    stretch = np.searchsorted(series.stretch_starts, np.arange(points), side="right") - 1
    inputs = causal_lags(series, prior.order)
    usable = np.isfinite(inputs).all(axis=1)
    known_inputs = np.where(usable[:, None], inputs, 0.0)
    has_lags = np.isfinite(grid_lags).all(axis=1)
    refit_of = np.arange(points) // prior.refit_points
    forecast = np.full((points, OUTPUT_STEPS), np.nan)
    scale = np.full((points, OUTPUT_STEPS), np.nan)
    for step in range(OUTPUT_STEPS):
        h = step + 1
        j = np.arange(points - h)
        j = j[(stretch[j] == stretch[j + h]) & has_lags[j]]
        x, y = grid_lags[j], series.glucose[j + h].astype(np.float64) / VALUE_UNIT
        # A pair is complete once the reading after its target's grid point is in.
        available = j + h + 1
        moments, targets = _pair_moments(x, y, available, points, prior)
        coefficients = np.linalg.solve(
            moments + prior.prior_pairs * prior.moments[step],
            (targets + prior.prior_pairs * prior.targets[step])[..., None],
        )[..., 0]  # [blocks, k]
        values = np.einsum("nk,nk->n", known_inputs, coefficients[refit_of]) * VALUE_UNIT
        forecast[:, step] = np.where(usable, values, np.nan)
        scale[:, step] = _error_scale(forecast[:, step], series, stretch, h, prior, step)
    return PersonalForecasts(forecast, scale)


def _pair_moments(
    x: np.ndarray, y: np.ndarray, available: np.ndarray, points: int, prior: PersonalPrior
) -> tuple[np.ndarray, np.ndarray]:
    """Decayed sums of x x^T [boundaries, k, k] and x y [boundaries, k] over the pairs
    complete at each refit boundary (summed per boundary by one product each)."""
    every, halflife = prior.refit_points, prior.halflife_points
    rows, weights = _by_boundary(np.column_stack([x, y]), available, points, every, halflife)
    weighted = rows[..., :-1] * weights[..., None]
    moments = np.einsum("nbi,nbj->nij", weighted, rows[..., :-1])[:-1]
    targets = np.einsum("nbi,nb->ni", weighted, rows[..., -1])[:-1]
    return (
        _decayed_running(moments, halflife / every),
        _decayed_running(targets, halflife / every),
    )


def _error_scale(
    forecast: np.ndarray,
    series: CgmSeries,
    stretch: np.ndarray,
    h: int,
    prior: PersonalPrior,
    step: int,
) -> np.ndarray:
    """sqrt of (decayed sum of squared errors known at t + prior) / (weights + prior)."""
    points = series.points
    j = np.arange(points - h)
    j = j[(stretch[j] == stretch[j + h]) & np.isfinite(forecast[j])]
    errors = (forecast[j] - series.glucose[j + h]) ** 2
    available = j + h + 1
    halflife = prior.scale_halflife_points
    squared = _decayed_sums(errors, available, points, halflife)
    counts = _decayed_sums(np.ones(len(j)), available, points, halflife)
    pseudo = prior.scale_prior_pairs
    return np.sqrt((squared + pseudo * prior.population_mse[step]) / (counts + pseudo))  # type: ignore[no-any-return]
