"""Sensor readings as parsed from the unified table (pure compute: numpy, polars).

Its own module because both the preparation (prepare.py) and the row
accounting (accounting.py) read it, and the preparation uses the accounting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Readings:
    """Sensor glucose readings as parsed, in file order."""

    times_ms: np.ndarray  # int64 ms since epoch, naive local time
    glucose: np.ndarray  # float64 mg/dL, NaN where missing
    quality: np.ndarray  # int64 cgm-format quality bits
    calibrations_ms: np.ndarray  # int64, fingerstick / calibration events

    @classmethod
    def from_frame(cls, frame: pl.DataFrame) -> Readings:
        sensor = frame.filter(pl.col("event_type") == "EGV_READ")
        fingersticks = frame.filter(pl.col("event_type").is_in(["CALIBRAT", "BG_METER"]))
        return cls(
            times_ms=_ms(sensor["datetime"]),
            glucose=sensor["glucose"].cast(pl.Float64).fill_null(np.nan).to_numpy(),
            quality=sensor["quality"].fill_null(0).cast(pl.Int64).to_numpy(),
            calibrations_ms=_ms(fingersticks["datetime"]),
        )


def _ms(column: pl.Series) -> np.ndarray:
    return column.cast(pl.Datetime("ms")).dt.epoch("ms").fill_null(0).to_numpy().astype(np.int64)
