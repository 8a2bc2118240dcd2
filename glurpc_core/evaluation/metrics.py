"""Accuracy and calibration metrics of forecasts against the truth (pure numpy).

Inputs are per-window arrays: predictions and truth [W, 12] in mg/dL, band
quantiles [W, 5, 12] in QUANTILE_LEVELS order, each window's last observed
reading [W] and its subject [W]. Confidence intervals are percentile bootstraps
over subjects (windows of one subject are strongly correlated, so resampling
windows would overstate the certainty).
"""

from __future__ import annotations

import numpy as np

from glurpc_core.forecast import QUANTILE_LEVELS

HORIZONS = {"5min": 1, "30min": 6, "60min": 12}
# Glucose ranges, mg/dL: [low, high)
RANGES = {
    "<70": (0.0, 70.0),
    "70-180": (70.0, 180.0),
    "180-250": (180.0, 250.0),
    ">250": (250.0, np.inf),
}
BANDS = {"90": (0.05, 0.95), "50": (0.25, 0.75)}
BOOTSTRAP_DRAWS = 2000


def rmse(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """RMSE per step over windows: [W, T] -> [T]."""
    return np.sqrt(np.mean((prediction - truth) ** 2, axis=0))


def mae(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Mean absolute error per step: [W, T] -> [T]."""
    return np.mean(np.abs(prediction - truth), axis=0)


def mard(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Mean absolute relative difference per step, in percent of the truth: [W, T] -> [T]."""
    return 100.0 * np.mean(np.abs(prediction - truth) / truth, axis=0)


def inside_bands(quantiles: np.ndarray, truth: np.ndarray) -> dict[str, np.ndarray]:
    """Whether each truth lies inside each central band: {"90"|"50": bool [W, T]}."""
    out = {}
    for band, (low, high) in BANDS.items():
        lower = quantiles[:, QUANTILE_LEVELS.index(low)]
        upper = quantiles[:, QUANTILE_LEVELS.index(high)]
        out[band] = (truth >= lower) & (truth <= upper)
    return out


def coverage_by_step(quantiles: np.ndarray, truth: np.ndarray) -> dict[str, list[float]]:
    """Share of truths inside each band at every step 5..60 min (nominal 0.90, 0.50)."""
    return {
        band: inside.mean(axis=0).tolist()
        for band, inside in inside_bands(quantiles, truth).items()
    }


def range_masks(reference: np.ndarray) -> dict[str, np.ndarray]:
    """Which entries of `reference` (mg/dL) fall in each of RANGES."""
    return {name: (reference >= low) & (reference < high) for name, (low, high) in RANGES.items()}


def masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Column means of `values` [W, T] over the entries where `mask` [W, T] holds;
    NaN for a column with none."""
    counts = mask.sum(axis=0)
    sums = np.where(mask, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def by_range(
    prediction: np.ndarray, truth: np.ndarray, last: np.ndarray, quantiles: np.ndarray | None = None
) -> dict[str, dict[str, float]]:
    """Per range of the last reading and per horizon: window count, bias (mean of
    prediction - truth), RMSE and, given quantiles, 90 % band coverage."""
    inside = inside_bands(quantiles, truth)["90"] if quantiles is not None else None
    out: dict[str, dict[str, float]] = {}
    for name, rows in range_masks(last).items():
        entry: dict[str, float] = {"windows": int(rows.sum())}
        for horizon, step in HORIZONS.items():
            if not rows.any():
                continue
            error = prediction[rows, step - 1] - truth[rows, step - 1]
            entry[f"bias_{horizon}"] = float(error.mean())
            entry[f"rmse_{horizon}"] = float(np.sqrt(np.mean(error**2)))
            if inside is not None:
                entry[f"coverage90_{horizon}"] = float(inside[rows, step - 1].mean())
        out[name] = entry
    return out


def subject_sums(values: np.ndarray, subjects: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per subject, the column sums of `values` [W, T] and the window counts:
    ([N, T], [N]), subjects in sorted order."""
    names, codes = np.unique(subjects, return_inverse=True)
    sums = np.stack([values[codes == k].sum(axis=0) for k in range(len(names))])
    counts = np.bincount(codes, minlength=len(names)).astype(np.float64)
    return sums, counts


def bootstrap_picks(subjects: int, seed: int = 0, draws: int = BOOTSTRAP_DRAWS) -> np.ndarray:
    """[draws, subjects] indices of subjects drawn with replacement; share one
    draw between forecasters so their ratios are paired."""
    return np.random.default_rng(seed).integers(0, subjects, size=(draws, subjects))


def pooled_draws(sums: np.ndarray, counts: np.ndarray, picks: np.ndarray) -> np.ndarray:
    """[draws, T] pooled means when the subjects in `picks` are pooled."""
    return sums[picks].sum(axis=1) / counts[picks].sum(axis=1)[:, None]


def subject_bootstrap(
    squared: np.ndarray, subjects: np.ndarray, seed: int = 0, draws: int = BOOTSTRAP_DRAWS
) -> np.ndarray:
    """Bootstrap draws [draws, T] of the pooled RMSE when subjects are resampled with
    replacement; `squared` [W, T] holds each window's squared errors."""
    sums, counts = subject_sums(squared, subjects)
    return np.sqrt(pooled_draws(sums, counts, bootstrap_picks(len(counts), seed, draws)))


def interval(draws: np.ndarray) -> list[list[float]]:
    """95 % percentile interval per column: [[low, high], ...]."""
    low, high = np.percentile(draws, [2.5, 97.5], axis=0)
    return [[float(a), float(b)] for a, b in zip(low, high, strict=True)]
