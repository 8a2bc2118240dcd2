"""Model inputs from a prepared series (pure compute: numpy only, no I/O, no torch).

Follows the reference preparation (docs/REFERENCE.md, "Preparation"): min-max scaled
glucose in float32, six calendar covariates (day of month, month, year, hour,
minute, second of the naive timestamps) min-max scaled, a static subject id of 0,
the decoder fed the last `label_len` scaled values followed by zeros. Scalers come
from a model bundle, or are fitted on the whole series given (what gluRPC does per
upload).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, STEP_SECONDS, CgmSeries

COVARIATES = ("day", "month", "year", "hour", "minute", "second")


@dataclass(frozen=True)
class MinMax:
    """sklearn MinMaxScaler((0, 1)) arithmetic in float32: x * scale + offset."""

    scale: np.ndarray
    offset: np.ndarray

    @classmethod
    def fit(cls, values: np.ndarray) -> MinMax:
        values = np.asarray(values, dtype=np.float32).reshape(len(values), -1)
        return cls.from_range(values.min(axis=0), values.max(axis=0))

    @classmethod
    def from_range(cls, low: Sequence[float], high: Sequence[float]) -> MinMax:
        low_a = np.asarray(low, dtype=np.float32)
        span = np.asarray(high, dtype=np.float32) - low_a
        span[span == 0] = 1.0  # a constant column maps to 0, as in sklearn
        scale = (np.float32(1.0) / span).astype(np.float32)
        return cls(scale=scale, offset=(-low_a * scale).astype(np.float32))

    def transform(self, values: np.ndarray) -> np.ndarray:
        return (np.asarray(values, dtype=np.float32) * self.scale + self.offset).astype(np.float32)

    def inverse(self, values: np.ndarray) -> np.ndarray:
        return (values - self.offset) / self.scale


# The scaler the shipped default model was trained with: glucose 40-400 mg/dL and
# the calendar fields over their natural ranges, so it never depends on an upload.
NATURAL_RANGES: dict[str, list[float]] = {
    "target_min": [40.0],
    "target_max": [400.0],
    "covariate_min": [1.0, 1.0, 2000.0, 0.0, 0.0, 0.0],
    "covariate_max": [31.0, 12.0, 2100.0, 23.0, 59.0, 59.0],
}

# A bundle's "target_anchor": what the model's mean output is relative to.
# "none": the scaled glucose itself (every GlucoBench checkpoint). "last_input": the
# change from the window's last scaled input value, added back after the forward
# pass; a small model then need not reproduce the current level from its inputs.
TARGET_ANCHORS = ("none", "last_input")


@dataclass(frozen=True)
class Scaling:
    target: MinMax
    covariates: MinMax
    origin: str  # "bundle" or "fitted_on_upload"
    anchor: str = "none"  # one of TARGET_ANCHORS

    @classmethod
    def from_bundle(cls, saved: Mapping[str, Any]) -> Scaling:
        """KeyError or ValueError when `saved` is not a bundle's scaling."""
        anchor = saved.get("target_anchor", "none")
        if anchor not in TARGET_ANCHORS:
            raise ValueError(f"unknown target_anchor {anchor!r}")
        return cls(
            MinMax.from_range(saved["target_min"], saved["target_max"]),
            MinMax.from_range(saved["covariate_min"], saved["covariate_max"]),
            "bundle",
            str(anchor),
        )

    @classmethod
    def fit_on(cls, series: CgmSeries) -> Scaling:
        return cls(
            MinMax.fit(series.glucose),
            MinMax.fit(calendar_features(series.times)),
            "fitted_on_upload",
        )


def calendar_features(times: np.ndarray) -> np.ndarray:
    """[N, 6] float32 calendar fields of naive datetime64 timestamps, in COVARIATES order."""
    seconds = times.astype("datetime64[s]")
    months = seconds.astype("datetime64[M]")
    days = seconds.astype("datetime64[D]")
    of_day = (seconds - days).astype(np.int64)
    columns = [
        (days - months).astype(np.int64) + 1,
        months.astype(np.int64) % 12 + 1,
        seconds.astype("datetime64[Y]").astype(np.int64) + 1970,
        of_day // 3600,
        of_day // 60 % 60,
        of_day % 60,
    ]
    return np.stack(columns, axis=1).astype(np.float32)


@dataclass(frozen=True)
class WindowInputs:
    """Float32 arrays for W windows, ready for the forward pass."""

    x_enc: np.ndarray  # [W, 96, 1]
    x_mark_enc: np.ndarray  # [W, 96, 6]
    x_dec: np.ndarray  # [W, label_len + 12, 1]
    x_mark_dec: np.ndarray  # [W, label_len + 12, 6]


def window_inputs(
    series: CgmSeries, indices: Sequence[int], scaling: Scaling, label_len: int
) -> WindowInputs:
    """Inputs of the given wire indices (already validated by the caller)."""
    steps = np.arange(1, OUTPUT_STEPS + 1) * np.timedelta64(STEP_SECONDS, "s")
    extended_times = np.concatenate([series.times, series.times[-1] + steps])
    marks = scaling.covariates.transform(calendar_features(extended_times))
    starts = np.array([series.input_start(index) for index in indices], dtype=np.int64)
    history = starts[:, None] + np.arange(INPUT_STEPS)
    decoder = starts[:, None] + np.arange(INPUT_STEPS - label_len, INPUT_STEPS + OUTPUT_STEPS)
    # Each window sees only readings at or before its forecast start (CgmSeries.history).
    x_enc = scaling.target.transform(series.history(starts))[..., None]
    zeros = np.zeros((len(starts), OUTPUT_STEPS, 1), dtype=np.float32)
    return WindowInputs(
        x_enc=x_enc,
        x_mark_enc=marks[history],
        x_dec=np.concatenate([x_enc[:, INPUT_STEPS - label_len :], zeros], axis=1),
        x_mark_dec=marks[decoder],
    )
