"""Seeded, plausible WindowForecasts for render tests and the bench (no model involved)."""

from __future__ import annotations

import numpy as np

from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast

STEP = np.timedelta64(300, "s")


def mixture_quantiles(means: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Quantiles [5, H] of each step's Gaussian mixture, read off a fine grid's CDF."""
    grid = np.linspace(means.min() - 6 * stds.max(), means.max() + 6 * stds.max(), 4001)
    z = (grid[None, None, :] - means[:, :, None]) / stds[None, :, None]
    pdf = (np.exp(-0.5 * z * z) / stds[None, :, None]).mean(axis=1)
    cdf = np.cumsum(pdf, axis=1)
    cdf /= cdf[:, -1:]
    return np.array([[np.interp(q, row, grid) for row in cdf] for q in QUANTILE_LEVELS])


def make_forecast(seed: int = 7, index: int = 0, samples: int = 10) -> WindowForecast:
    """A 96-step history of a meal-like excursion and a 12-step forecast of S samples.

    For index k in 1..12 the last k truth values are NaN, as past the end of data.
    """
    rng = np.random.default_rng(seed)
    start = np.datetime64("2026-03-14T06:02:00", "s")
    times = start + np.arange(108) * STEP
    t = np.arange(108, dtype=np.float64)
    glucose = 120 + 45 * np.sin(t / 14.0 + rng.uniform(0, 6)) + np.cumsum(rng.normal(0, 2, 108))
    glucose = np.clip(glucose, 45, 390).astype(np.float32)
    history, truth = glucose[:96], glucose[96:].copy()
    if index > 0:
        truth[12 - index :] = np.nan
    drift = np.cumsum(rng.normal(0, 3, (12, samples)), axis=0)
    trend = (glucose[96:] - glucose[95]) * 0.8
    means = (glucose[95] + trend[:, None] + drift).astype(np.float32)
    stds = rng.uniform(5, 12, samples).astype(np.float32)
    quantiles = mixture_quantiles(means.astype(np.float64), stds.astype(np.float64))
    return WindowForecast(
        index=index,
        history_times=times[:96],
        history=history,
        future_times=times[96:],
        truth=truth,
        sample_means=means,
        sample_stds=stds,
        median=quantiles[2].astype(np.float32),
        quantiles=quantiles.astype(np.float32),
    )
