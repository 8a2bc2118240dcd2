"""Unified table -> one contiguous 5-minute series plus warnings (pure compute: numpy).

The reference service's preparation (docs/REFERENCE.md, "Preparation"):
sensor glucose rows only; duplicate timestamps merged (their mean); sequences
split where readings are more than 15 minutes apart, so gaps of up to 15
minutes are interpolated linearly; each sequence on a 5-minute grid anchored at
its first reading rounded to the minute; the latest sequence with at least one
window (108 points) kept, or the longest. Unlike the reference, the chosen
sequence is not truncated to 1080 minutes. Work is linear in the row count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from cgm_format import CALIBRATION_GAP_THRESHOLD, CALIBRATION_PERIOD_HOURS

from ..errors import ErrorCode
from ..series import STEP_SECONDS, WINDOW_STEPS
from .errors import IngestError
from .flags import DataWarning, describe

STEP_MS = STEP_SECONDS * 1000
MAX_GAP_MS = 15 * 60_000  # longer gaps split sequences; shorter ones are interpolated
WARMUP_GAP_MS = CALIBRATION_GAP_THRESHOLD * 1000  # a sensor change leaves a gap this long
WARMUP_MS = CALIBRATION_PERIOD_HOURS * 3_600_000
SENSOR_RANGE = (40.0, 400.0)
PLAUSIBLE = (10.0, 1000.0)  # outside this a number is not a glucose reading in mg/dL
OUT_OF_RANGE_BIT = 1


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


@dataclass(frozen=True)
class Prepared:
    times_ms: np.ndarray  # the chosen sequence's grid
    glucose: np.ndarray  # float32
    warnings: tuple[DataWarning, ...]


def prepare_readings(readings: Readings, sequence: str) -> Prepared:
    usable = np.isfinite(readings.glucose)
    usable &= (readings.glucose >= PLAUSIBLE[0]) & (readings.glucose <= PLAUSIBLE[1])
    dropped = int((~usable).sum())
    times, glucose = readings.times_ms[usable], readings.glucose[usable]
    flagged = (readings.quality[usable] & OUT_OF_RANGE_BIT) != 0
    other = (readings.quality[usable] & ~OUT_OF_RANGE_BIT) != 0
    if len(times) < 2:
        raise IngestError.invalid(
            f"the file holds {len(times)} usable glucose reading(s); a series needs many",
            reason="no_readings" if len(times) == 0 else "one_reading",
            readings=len(times),
            dropped=dropped,
        )
    order = np.argsort(times, kind="stable")
    times, glucose, flagged, other = times[order], glucose[order], flagged[order], other[order]
    unique, first, counts = np.unique(times, return_index=True, return_counts=True)
    merged = np.add.reduceat(glucose, first) / counts
    flagged_any = np.logical_or.reduceat(flagged, first)
    other_any = np.logical_or.reduceat(other, first)
    starts, ends = _sequences(unique)
    points = _grid_points(unique, starts, ends)
    chosen = _choose(points, sequence, unique, starts, ends)
    lo, hi = starts[chosen], ends[chosen]
    grid, values, imputed, shared = _grid(unique[lo:hi], merged[lo:hi])
    counts_in = {
        "out_of_range": _out_of_range(merged[lo:hi], flagged_any[lo:hi]),
        "time_duplicates": int((counts[lo:hi] - 1).sum()) + shared,
        "imputation": imputed,
        "quality": dropped + int(other_any[lo:hi].sum()),
        "too_short": int(sum(ends[k] - starts[k] for k in np.flatnonzero(points < WINDOW_STEPS))),
    }
    warnings = describe(counts_in, _calibration_counts(readings, unique, starts, chosen, grid))
    return Prepared(grid, values.astype(np.float32), warnings)


def _sequences(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    breaks = np.flatnonzero(np.diff(times) > MAX_GAP_MS) + 1
    starts = np.concatenate([[0], breaks]).astype(np.int64)
    ends = np.concatenate([breaks, [len(times)]]).astype(np.int64)
    return starts, ends


def _anchor(first_ms: np.ndarray | int) -> np.ndarray:
    # Rounded to the nearest minute, seconds >= 30 rounding up (cgm-format's grid).
    return (np.asarray(first_ms) + 30_000) // 60_000 * 60_000


def _grid_points(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    anchors = _anchor(times[starts])
    steps = np.floor((times[ends - 1] - anchors) / STEP_MS + 0.5).astype(np.int64)
    return np.maximum(steps, 0) + 1


def _choose(
    points: np.ndarray, sequence: str, times: np.ndarray, starts: np.ndarray, ends: np.ndarray
) -> int:
    eligible = np.flatnonzero(points >= WINDOW_STEPS)
    if len(eligible) == 0:
        best = int(points.max())
        raise IngestError(
            ErrorCode.TOO_SHORT,
            f"the longest continuous stretch of data is {best * 5} minutes ({best} points at "
            f"5-minute steps); one forecast window needs {WINDOW_STEPS * 5} minutes "
            f"({WINDOW_STEPS} points) without a gap over 15 minutes",
            {
                "points": best,
                "minutes": best * 5,
                "required_points": WINDOW_STEPS,
                "required_minutes": WINDOW_STEPS * 5,
                "sequences": len(points),
            },
        )
    if sequence == "longest":
        # Ties go to the latest: the most recent data is the most useful forecast.
        return int(eligible[np.flatnonzero(points[eligible] == points[eligible].max())[-1]])
    return int(eligible[-1])


def _grid(times: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Grid instants, values, points with no reading, readings sharing a slot."""
    anchor = int(_anchor(times[0]))
    count = int(np.floor((times[-1] - anchor) / STEP_MS + 0.5)) + 1
    grid = anchor + np.arange(count, dtype=np.int64) * STEP_MS
    # Linear in time between readings; the ends (at most 2.5 minutes out) hold the edge value.
    interpolated = np.interp(grid.astype(np.float64), times.astype(np.float64), values)
    snapped = np.clip(np.floor((times - anchor) / STEP_MS + 0.5).astype(np.int64), 0, count - 1)
    slots = len(np.unique(snapped))
    return grid, interpolated, count - slots, len(times) - slots


def _out_of_range(values: np.ndarray, flagged: np.ndarray) -> int:
    # Half a unit of slack: mmol/L files round the 40 and 400 mg/dL limits.
    beyond = (values < SENSOR_RANGE[0] - 0.5) | (values > SENSOR_RANGE[1] + 0.5)
    return int((flagged | beyond).sum())


def _calibration_counts(
    readings: Readings, times: np.ndarray, starts: np.ndarray, chosen: int, grid: np.ndarray
) -> tuple[int, int]:
    """(fingersticks within the chosen sequence, its points in a sensor warm-up)."""
    events = readings.calibrations_ms
    inside = int(((events >= grid[0] - STEP_MS) & (events <= grid[-1] + STEP_MS)).sum())
    warmup = 0
    if chosen > 0:
        gap = times[starts[chosen]] - times[starts[chosen] - 1]
        if gap >= WARMUP_GAP_MS:
            warmup = int((grid < grid[0] + WARMUP_MS).sum())
    return inside, warmup
