"""Prepared CGM series and window arithmetic (pure compute: numpy only, no I/O).

A `CgmSeries` is the model's input after ingestion: one contiguous sequence on a
5-minute grid. Window indices follow docs/PROTOCOL.md: 0 is the latest window whose
next hour is known, -k is k windows earlier, 1..12 reach past the end of the data
by that many steps (12 is the pure forecast of the next hour).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STEP_SECONDS = 300
INPUT_STEPS = 96  # 8 hours of history
OUTPUT_STEPS = 12  # 1 hour forecast
WINDOW_STEPS = INPUT_STEPS + OUTPUT_STEPS  # 108 points for a window with a known future
MAX_AHEAD = OUTPUT_STEPS


@dataclass(frozen=True)
class CgmSeries:
    """One contiguous sequence: `times` (datetime64[s], naive local time, strictly
    increasing by exactly 5 minutes) and `glucose` (float32 mg/dL, no NaN)."""

    times: np.ndarray
    glucose: np.ndarray

    def __post_init__(self) -> None:
        if self.times.shape != self.glucose.shape or self.times.ndim != 1:
            raise ValueError("times and glucose must be 1-D arrays of equal length")

    @property
    def points(self) -> int:
        return int(self.glucose.shape[0])

    @property
    def windows(self) -> int:
        """Windows with a fully known future: P - 107 (0 when too short)."""
        return max(0, self.points - WINDOW_STEPS + 1)

    def index_range(self) -> tuple[int, int]:
        """Smallest and largest valid wire index."""
        return -(self.windows - 1), MAX_AHEAD

    def input_start(self, index: int) -> int:
        """Position of the first history point of window `index`; raises IndexError."""
        low, high = self.index_range()
        if self.windows == 0 or not low <= index <= high:
            raise IndexError(index)
        return self.points - WINDOW_STEPS + index

    def future_times(self, index: int) -> np.ndarray:
        """The 12 forecast instants of window `index` (some may lie past the data)."""
        first = self.times[self.input_start(index) + INPUT_STEPS - 1]
        return first + np.arange(1, OUTPUT_STEPS + 1) * np.timedelta64(STEP_SECONDS, "s")
