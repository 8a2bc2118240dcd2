"""Naive forecasters the model must beat (pure numpy).

Persistence holds the last value; linear extrapolation continues a least-squares
line through the last 30 minutes; the autoregressive baseline is an AR(p) model
of the 5-minute glucose series, fitted by least squares (on the training
subjects here; on each person's own past in personal.py) and iterated 12 steps
ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glurpc_core.series import OUTPUT_STEPS, CgmSeries

LINE_POINTS = 6  # 30 minutes of history for the linear baseline
AR_ORDER = 6  # 30 minutes of history for the autoregressive baseline


def persistence(history: np.ndarray) -> np.ndarray:
    """Histories [W, P] -> [W, 12]: the last value held."""
    return np.repeat(history[:, -1:].astype(np.float64), OUTPUT_STEPS, axis=1)


def linear(history: np.ndarray) -> np.ndarray:
    """Histories [W, P] -> [W, 12]: the line through the last LINE_POINTS values."""
    x = np.arange(LINE_POINTS, dtype=np.float64) - (LINE_POINTS - 1)
    recent = history[:, -LINE_POINTS:].astype(np.float64)
    slope = ((recent - recent.mean(1, keepdims=True)) * (x - x.mean())).sum(1) / (
        (x - x.mean()) ** 2
    ).sum()
    intercept = recent.mean(1) - slope * x.mean()  # value of the line at the last point
    ahead = np.arange(1, OUTPUT_STEPS + 1)
    return intercept[:, None] + slope[:, None] * ahead


@dataclass(frozen=True)
class Autoregressive:
    """y[t+1] = intercept + sum_i coefficients[i] * y[t-i], i = 0..order-1."""

    intercept: float
    coefficients: np.ndarray  # [order], newest value first

    @classmethod
    def fit(cls, series_list: list[CgmSeries], order: int = AR_ORDER) -> Autoregressive:
        rows, targets = [], []
        for series in series_list:
            values = series.glucose.astype(np.float64)
            lagged = np.lib.stride_tricks.sliding_window_view(values[:-1], order)[:, ::-1]
            rows.append(lagged)
            targets.append(values[order:])
        design = np.concatenate(rows)
        design = np.concatenate([np.ones((len(design), 1)), design], axis=1)
        solution, *_ = np.linalg.lstsq(design, np.concatenate(targets), rcond=None)
        return cls(float(solution[0]), solution[1:])

    def predict(self, history: np.ndarray) -> np.ndarray:
        """Histories [W, P >= order] -> [W, 12], each step fed back as input."""
        rows = len(history)
        intercepts = np.full(rows, self.intercept)
        return iterate_ar(
            intercepts, np.broadcast_to(self.coefficients, (rows, len(self.coefficients))), history
        )


def iterate_ar(intercepts: np.ndarray, coefficients: np.ndarray, history: np.ndarray) -> np.ndarray:
    """12 steps of per-window AR models: intercepts [W], coefficients [W, order]
    (newest lag first), histories [W, P >= order] -> [W, 12]; each forecast step
    is fed back as the newest input."""
    order = coefficients.shape[1]
    recent = history[:, ::-1][:, :order].astype(np.float64)  # newest first
    out = np.empty((len(history), OUTPUT_STEPS))
    for step in range(OUTPUT_STEPS):
        out[:, step] = intercepts + np.einsum("wk,wk->w", recent, coefficients)
        recent = np.concatenate([out[:, step : step + 1], recent[:, :-1]], axis=1)
    return out
