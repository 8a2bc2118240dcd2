"""The report of `glurpc evaluate`: every forecaster scored on every window of
every source (a file, or one subject of a table), per source and pooled.

Forecasters: the served model (its median; its 50 % and 90 % bands for
coverage), persistence, linear extrapolation, and a personal AR refitted at
each window on that source's own earlier readings (personal.py). Per horizon
5..60 minutes: RMSE, MAE, MARD and bias; band coverage; the same by range of
the truth; Clarke and Parkes zone shares at 30 and 60 minutes; and, pooled,
95 % bootstrap intervals over sources (paired: every forecaster sees the same
resampled sources) for RMSE and for the ratios to persistence.

Pure compute; the numbers are plain lists (None where a range has no point),
ready for msgpack and JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from glurpc_core.evaluation.baselines import AR_ORDER, linear, persistence
from glurpc_core.evaluation.grids import GRIDS, grid_zones, zone_shares
from glurpc_core.evaluation.metrics import (
    BOOTSTRAP_DRAWS,
    RANGES,
    bootstrap_picks,
    inside_bands,
    interval,
    mae,
    mard,
    masked_mean,
    pooled_draws,
    range_masks,
    rmse,
    subject_sums,
)
from glurpc_core.evaluation.personal import MIN_ROWS, personal_ar
from glurpc_core.forecast import WindowForecast
from glurpc_core.series import OUTPUT_STEPS, STEP_SECONDS, CgmSeries

FORECASTERS = ("model", "persistence", "linear", "personal_ar")
GRID_HORIZONS = {"30": 6, "60": 12}  # minutes -> step
HORIZONS_MIN = [STEP_SECONDS // 60 * (step + 1) for step in range(OUTPUT_STEPS)]
VERSION = 1  # raise when a number's meaning changes: cached reports are keyed by it


@dataclass(frozen=True)
class Source:
    """One person's windows with a known next hour, as the daemon forecast them."""

    label: str
    series: CgmSeries
    starts: np.ndarray  # [W] grid position of each window's first history point
    history: np.ndarray  # [W, P >= 6]: the newest P points of each causal history
    truth: np.ndarray  # [W, 12]
    median: np.ndarray  # [W, 12]
    quantiles: np.ndarray  # [W, 5, 12]


HISTORY_TAIL = 12  # history points the baselines read (AR(6), the 30-minute line)


@dataclass(frozen=True)
class WindowPoints:
    """What scoring reads of one forecast window: a few hundred bytes, so a
    long file's full forecasts need not be held (or, on Ray, shipped)."""

    history: np.ndarray  # [HISTORY_TAIL]: the newest points of the causal history
    truth: np.ndarray  # [12]
    median: np.ndarray  # [12]
    quantiles: np.ndarray  # [5, 12]

    @classmethod
    def of(cls, window: WindowForecast) -> WindowPoints:
        return cls(window.history[-HISTORY_TAIL:], window.truth, window.median, window.quantiles)


def compact_source(
    label: str, series: CgmSeries, indices: list[int], windows: list[WindowPoints]
) -> Source:
    """One source from its windows' points, `windows` in the order of `indices`
    (the daemon and the Ray engine both build sources here: the same arrays,
    the same numbers)."""
    return Source(
        label,
        series,
        np.array([series.input_start(i) for i in indices], dtype=np.int64),
        np.stack([w.history for w in windows]),
        np.stack([w.truth for w in windows]),
        np.stack([w.median for w in windows]),
        np.stack([w.quantiles for w in windows]),
    )


@dataclass(frozen=True)
class Scored:
    """Every forecaster's predictions for one source's windows."""

    label: str
    truth: np.ndarray
    predictions: dict[str, np.ndarray]
    quantiles: np.ndarray
    personal_fitted: np.ndarray  # [W] bool


@dataclass(frozen=True)
class Assessment:
    report: dict[str, Any]
    points: dict[str, np.ndarray]  # the pooled error-grid pairs, for the figure


def score(source: Source) -> Scored:
    history = source.history.astype(np.float64)
    personal = personal_ar(source.series, source.starts, history)
    predictions = {
        "model": source.median.astype(np.float64),
        "persistence": persistence(history),
        "linear": linear(history),
        "personal_ar": personal.prediction,
    }
    return Scored(
        source.label,
        source.truth.astype(np.float64),
        predictions,
        source.quantiles.astype(np.float64),
        personal.fitted,
    )


def assess(sources: list[Source], seed: int = 0, draws: int = BOOTSTRAP_DRAWS) -> Assessment:
    scored = [score(source) for source in sources]
    pooled = _pool(scored)
    report = {
        "version": VERSION,
        "unit": "mg/dL",
        "horizons_min": HORIZONS_MIN,
        "forecasters": list(FORECASTERS),
        "ranges": list(RANGES),
        "sources": [_group(one) for one in scored],
        "pooled": {**_group(pooled), **_intervals(scored, seed, draws)},
        "personal_ar": {
            "order": AR_ORDER,
            "min_rows": MIN_ROWS,
            "fitted_share": float(pooled.personal_fitted.mean()),
        },
        "bootstrap": {"draws": draws, "seed": seed, "sources": len(scored)},
    }
    points = {
        f"{name}_{minutes}": array[:, step - 1].astype(np.float32)
        for minutes, step in GRID_HORIZONS.items()
        for name, array in (("truth", pooled.truth), ("model", pooled.predictions["model"]))
    }
    return Assessment(report, points)


def _pool(scored: list[Scored]) -> Scored:
    return Scored(
        "pooled",
        np.concatenate([s.truth for s in scored]),
        {name: np.concatenate([s.predictions[name] for s in scored]) for name in FORECASTERS},
        np.concatenate([s.quantiles for s in scored]),
        np.concatenate([s.personal_fitted for s in scored]),
    )


def _numbers(values: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values).ravel()]


def _group(scored: Scored) -> dict[str, Any]:
    truth = scored.truth
    errors = {name: p - truth for name, p in scored.predictions.items()}
    flat = rmse(scored.predictions["persistence"], truth)
    flat_mae = mae(scored.predictions["persistence"], truth)
    metrics, ratios = {}, {}
    for name, prediction in scored.predictions.items():
        metrics[name] = {
            "rmse": _numbers(rmse(prediction, truth)),
            "mae": _numbers(mae(prediction, truth)),
            "mard": _numbers(mard(prediction, truth)),
            "bias": _numbers(errors[name].mean(axis=0)),
        }
        ratios[name] = {
            "rmse": _numbers(rmse(prediction, truth) / flat),
            "mae": _numbers(mae(prediction, truth) / flat_mae),
        }
    inside = inside_bands(scored.quantiles, truth)
    return {
        "label": scored.label,
        "windows": len(truth),
        "metrics": metrics,
        "ratio_to_persistence": ratios,
        "coverage": {band: _numbers(hit.mean(axis=0)) for band, hit in inside.items()},
        "by_range": _by_truth_range(errors, inside, truth),
        "grids": _grids(scored),
    }


def _by_truth_range(
    errors: dict[str, np.ndarray], inside: dict[str, np.ndarray], truth: np.ndarray
) -> dict[str, Any]:
    """Per range of the truth at each horizon (a window counts at every step in
    the range its truth is in then)."""
    out = {}
    for name, mask in range_masks(truth).items():
        out[name] = {
            "points": [int(n) for n in mask.sum(axis=0)],
            "bias": {f: _numbers(masked_mean(e, mask)) for f, e in errors.items()},
            "rmse": {f: _numbers(np.sqrt(masked_mean(e**2, mask))) for f, e in errors.items()},
            "coverage": {
                band: _numbers(masked_mean(hit.astype(np.float64), mask))
                for band, hit in inside.items()
            },
        }
    return out


def _grids(scored: Scored) -> dict[str, Any]:
    return {
        grid: {
            minutes: {
                name: zone_shares(grid_zones(grid, scored.truth[:, step - 1], p[:, step - 1]))
                for name, p in scored.predictions.items()
            }
            for minutes, step in GRID_HORIZONS.items()
        }
        for grid in GRIDS
    }


def _intervals(scored: list[Scored], seed: int, draws: int) -> dict[str, Any]:
    """95 % intervals from resampling whole sources; None with fewer than two."""
    if len(scored) < 2:
        return {"rmse_ci": None, "ratio_ci": None}
    picks = bootstrap_picks(len(scored), seed, draws)
    labels = np.concatenate([np.full(len(s.truth), k) for k, s in enumerate(scored)])
    pooled = _pool(scored)
    squared, absolute = {}, {}
    for name, prediction in pooled.predictions.items():
        error = prediction - pooled.truth
        sums, counts = subject_sums(error**2, labels)
        squared[name] = np.sqrt(pooled_draws(sums, counts, picks))
        sums, counts = subject_sums(np.abs(error), labels)
        absolute[name] = pooled_draws(sums, counts, picks)
    return {
        "rmse_ci": {name: interval(draws_) for name, draws_ in squared.items()},
        "ratio_ci": {
            name: {
                "rmse": interval(squared[name] / squared["persistence"]),
                "mae": interval(absolute[name] / absolute["persistence"]),
            }
            for name in FORECASTERS
        },
    }
