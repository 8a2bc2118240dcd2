"""Prepared CGM series and window arithmetic (pure compute: numpy only, no I/O).

A `CgmSeries` is the model's input after ingestion: one or more gap-free
stretches, each on its own 5-minute grid, stored one after another. A window
never spans two stretches. Window indices follow docs/PROTOCOL.md and count over
every stretch: 0 is the latest window whose next hour is known, -k is k
windows earlier (skipping the gaps between stretches), 1..12 reach past the end
of the last stretch by that many steps (12 is the pure forecast of the next
hour).

Causality: a grid point between two readings is interpolated from both, so the
tail of a window's history could lean on a reading after its forecast start.
`history` rebuilds each window's input from readings at or before its forecast
start only: points after the last such reading hold that reading's value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STEP_SECONDS = 300
INPUT_STEPS = 96  # 8 hours of history
OUTPUT_STEPS = 12  # 1 hour forecast
WINDOW_STEPS = INPUT_STEPS + OUTPUT_STEPS  # 108 points for a window with a known future
MAX_AHEAD = OUTPUT_STEPS
MGDL_PER_MMOL = 18.0182  # the one conversion factor, everywhere
# What a CGM reads, mg/dL: forecasts, bands and fans never leave it (beyond it a
# sensor reports only Low or High).
SENSOR_RANGE = (40.0, 400.0)
UNITS = ("mg/dL", "mmol/L")


def convert_units(values: np.ndarray, unit: str) -> np.ndarray:
    """mg/dL values in `unit` (a member of UNITS)."""
    return values / MGDL_PER_MMOL if unit == "mmol/L" else values


@dataclass(frozen=True)
class CgmSeries:
    """`times` (datetime64[s], naive local time, +5 minutes within a stretch) and
    `glucose` (float32 mg/dL, no NaN) of every stretch in time order;
    `stretch_starts`: the first position of each stretch. Per point:
    `last_reading_s` / `last_value`: the latest reading at or before it (time in
    seconds since the epoch, value); `imputed`: no reading fell in its 5-minute
    slot; `clipped`: a sensor High/Low held at the device limit."""

    times: np.ndarray
    glucose: np.ndarray
    stretch_starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))
    last_reading_s: np.ndarray | None = None
    last_value: np.ndarray | None = None
    imputed: np.ndarray | None = None
    clipped: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.times.shape != self.glucose.shape or self.times.ndim != 1:
            raise ValueError("times and glucose must be 1-D arrays of equal length")
        starts = np.asarray(self.stretch_starts, dtype=np.int64)
        if len(starts) == 0 or starts[0] != 0 or np.any(np.diff(starts) <= 0):
            raise ValueError("stretch_starts must begin at 0 and increase")
        object.__setattr__(self, "stretch_starts", starts)
        defaults = {
            # Without reading times every grid point counts as observed.
            "last_reading_s": self.times.astype("datetime64[s]").astype(np.int64),
            "last_value": self.glucose.astype(np.float32),
            "imputed": np.zeros(self.points, dtype=bool),
            "clipped": np.zeros(self.points, dtype=bool),
        }
        for name, default in defaults.items():
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, default)
            elif np.shape(value) != self.times.shape:
                raise ValueError(f"{name} must have one entry per point")

    @property
    def points(self) -> int:
        return int(self.glucose.shape[0])

    def stretch_bounds(self) -> list[tuple[int, int]]:
        """(first, end) positions of each stretch."""
        ends = [*self.stretch_starts[1:].tolist(), self.points]
        return list(zip(self.stretch_starts.tolist(), ends, strict=True))

    def stretch_windows(self) -> np.ndarray:
        """Windows with a fully known future in each stretch: P - 107 (0 when too short)."""
        lengths = np.diff(np.append(self.stretch_starts, self.points))
        return np.maximum(0, lengths - WINDOW_STEPS + 1)

    @property
    def windows(self) -> int:
        """Windows with a fully known future, over every stretch."""
        return int(self.stretch_windows().sum())

    def first_ahead(self) -> int:
        """The smallest ahead index (1..12) whose 8-hour history lies in the last
        stretch: 1 when the last stretch holds a whole window, more when it holds
        between 8 and 9 hours (the hour after it needs only the 8 hours before);
        MAX_AHEAD + 1 when not even the next hour can be forecast."""
        last = self.points - int(self.stretch_starts[-1])
        if last < INPUT_STEPS:
            return MAX_AHEAD + 1
        return max(1, WINDOW_STEPS - last)

    def index_range(self) -> tuple[int, int]:
        """Smallest and largest valid wire index (windows with a known next hour,
        then the ahead ones)."""
        low = -(self.windows - 1) if self.windows else self.first_ahead()
        return low, MAX_AHEAD

    def has_index(self, index: int) -> bool:
        low, high = self.index_range()
        return low <= index <= high and (index <= 0 or index >= self.first_ahead())

    def input_start(self, index: int) -> int:
        """Position of the first history point of window `index`; raises IndexError."""
        if not self.has_index(index):
            raise IndexError(index)
        if index > 0:  # past the end of the last stretch
            return self.points - WINDOW_STEPS + index
        per_stretch = self.stretch_windows()
        ordinal = self.windows - 1 + index  # 0 = the oldest window
        ends = np.cumsum(per_stretch)
        stretch = int(np.searchsorted(ends, ordinal, side="right"))
        before = int(ends[stretch] - per_stretch[stretch])
        return int(self.stretch_starts[stretch]) + ordinal - before

    def stretch_of(self, position: int) -> int:
        return int(np.searchsorted(self.stretch_starts, position, side="right")) - 1

    def forecast_start(self, index: int) -> np.datetime64:
        """The last history instant of window `index`, where the forecast begins."""
        return self.times[self.input_start(index) + INPUT_STEPS - 1]  # type: ignore[no-any-return]

    def future_times(self, index: int) -> np.ndarray:
        """The 12 forecast instants of window `index` (some may lie past the data)."""
        first = self.forecast_start(index)
        return first + np.arange(1, OUTPUT_STEPS + 1) * np.timedelta64(STEP_SECONDS, "s")

    def history(self, starts: np.ndarray) -> np.ndarray:
        """[W, 96] float32 inputs of the windows starting at `starts`, each from the
        readings at or before its own forecast start only."""
        starts = np.asarray(starts, dtype=np.int64)
        positions = starts[:, None] + np.arange(INPUT_STEPS)
        values = self.glucose[positions].astype(np.float32)
        assert self.last_reading_s is not None and self.last_value is not None
        ends = starts + INPUT_STEPS - 1
        cutoff = self.last_reading_s[ends]
        grid_s = self.times.astype("datetime64[s]").astype(np.int64)[positions]
        beyond = grid_s > cutoff[:, None]
        return np.where(beyond, self.last_value[ends][:, None], values).astype(np.float32)

    def history_imputed(self, start: int) -> np.ndarray:
        """[96] bool: history points with no reading of their own (drawn hollow), including
        those held at the last reading before the forecast start."""
        assert self.imputed is not None and self.last_reading_s is not None
        span = slice(start, start + INPUT_STEPS)
        grid_s = self.times[span].astype("datetime64[s]").astype(np.int64)
        held = grid_s > self.last_reading_s[start + INPUT_STEPS - 1]
        return np.asarray(self.imputed[span] | held)

    def wire_indices(self) -> np.ndarray:
        """Every wire index with a known future, oldest first."""
        return np.arange(-(self.windows - 1), 1, dtype=np.int64)

    def index_at(self, when: np.datetime64) -> int | None:
        """The window whose forecast starts at the latest grid point not after `when`
        (ahead windows included); None when `when` is before every window or falls in
        a gap between stretches."""
        ahead = np.arange(self.first_ahead(), MAX_AHEAD + 1)
        indices = np.concatenate([self.wire_indices(), ahead])
        if len(indices) == 0:
            return None
        # Forecast starts increase with the index: a binary search finds the window.
        forecast_starts = self._forecast_starts(indices)
        at = int(np.searchsorted(forecast_starts, when, side="right")) - 1
        if at < 0 or when - forecast_starts[at] >= np.timedelta64(STEP_SECONDS, "s"):
            return None
        return int(indices[at])

    def _forecast_starts(self, indices: np.ndarray) -> np.ndarray:
        ahead = indices > 0
        out = np.empty(len(indices), dtype="datetime64[s]")
        out[~ahead] = self.times[self._known_starts() + INPUT_STEPS - 1]
        last = self.times[-1]
        out[ahead] = last + (indices[ahead] - OUTPUT_STEPS) * np.timedelta64(STEP_SECONDS, "s")
        return out

    def _known_starts(self) -> np.ndarray:
        """Input start of every window with a known future, oldest first."""
        parts = [
            np.arange(first, first + count, dtype=np.int64)
            for first, count in zip(self.stretch_starts, self.stretch_windows(), strict=True)
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def window_table(self) -> dict[str, np.ndarray]:
        """Columns over every window with a known future, latest first: wire index,
        stretch number, history start, forecast start."""
        starts = self._known_starts()[::-1]
        return {
            "index": -np.arange(len(starts), dtype=np.int64),
            "stretch": np.searchsorted(self.stretch_starts, starts, side="right") - 1,
            "history_start": self.times[starts],
            "forecast_start": self.times[starts + INPUT_STEPS - 1],
        }
