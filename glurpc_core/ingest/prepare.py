"""Unified table -> every gap-free stretch on a 5-minute grid, plus warnings and an
account of every row (pure compute: numpy).

The reference service's preparation (docs/REFERENCE.md, "Preparation"):
sensor glucose rows only; duplicate timestamps merged (their mean); stretches
split where readings are more than 15 minutes apart, so gaps of up to 15
minutes are interpolated linearly; each stretch on a 5-minute grid. Unlike the
reference (whose grid starts at the first reading rounded to the minute, so a
reading a few seconds past a grid point counts as after it and drops out of the
window that ends there), each stretch's grid is anchored on its own readings:
on whole minutes, at or just after every reading's slot (`_anchors`), so the
newest reading at or before a grid point is the one of its slot whatever the
seconds of the timestamps. Unlike the reference, every stretch
with at least one window (108 points) is kept (`sequence="all"`, the default),
none is truncated, and sensor High/Low stay at the device limits, flagged.
For each grid point it also records the latest reading at or before it, so a
window's history can be rebuilt without any reading after its forecast start
(`CgmSeries.history`). Work is linear in the row count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cgm_format import CALIBRATION_GAP_THRESHOLD, CALIBRATION_PERIOD_HOURS

from glurpc_core.ingest.accounting import Accounting, Stretch
from glurpc_core.ingest.readings import Readings
from glurpc_core.ingest.screen import DEVICE_RANGE, Screened
from glurpc_core.ingest.shortage import too_short_error
from glurpc_core.series import INPUT_STEPS, STEP_SECONDS, WINDOW_STEPS

STEP_MS = STEP_SECONDS * 1000
MAX_GAP_MS = 15 * 60_000  # longer gaps split stretches; shorter ones are interpolated
WARMUP_GAP_MS = CALIBRATION_GAP_THRESHOLD * 1000  # a sensor change leaves a gap this long
WARMUP_MS = CALIBRATION_PERIOD_HOURS * 3_600_000
PLAUSIBLE = (10.0, 1000.0)  # outside this a number is not a glucose reading in mg/dL
OUT_OF_RANGE_BIT = 1


@dataclass(frozen=True)
class Prepared:
    """The kept stretches one after another, with per-point facts for `CgmSeries`."""

    times_ms: np.ndarray  # int64 grid instants
    glucose: np.ndarray  # float32
    stretch_starts: np.ndarray  # int64
    last_reading_s: np.ndarray  # int64: latest reading at or before each point
    last_value: np.ndarray  # float32
    imputed: np.ndarray  # bool
    clipped: np.ndarray  # bool
    accounting: Accounting


@dataclass(frozen=True)
class _Grid:
    times: np.ndarray
    values: np.ndarray
    last_s: np.ndarray
    last_value: np.ndarray
    imputed: np.ndarray
    clipped: np.ndarray
    shared: int  # readings that shared a 5-minute slot with another


def prepare_readings(readings: Readings, sequence: str, screened: Screened | None) -> Prepared:
    valid = np.isfinite(readings.glucose)
    valid &= (readings.glucose >= PLAUSIBLE[0]) & (readings.glucose <= PLAUSIBLE[1])
    times, glucose = readings.times_ms[valid], readings.glucose[valid]
    flagged = (readings.quality[valid] & OUT_OF_RANGE_BIT) != 0
    quality_flagged = int(((readings.quality[valid] & ~OUT_OF_RANGE_BIT) != 0).sum())
    flagged |= (glucose < DEVICE_RANGE[0]) | (glucose > DEVICE_RANGE[1])
    glucose = np.clip(glucose, *DEVICE_RANGE)  # High/Low stay at the device limits
    order = np.argsort(times, kind="stable")
    times, glucose, flagged = times[order], glucose[order], flagged[order]
    unique, first, counts = np.unique(times, return_index=True, return_counts=True)
    merged = np.add.reduceat(glucose, first) / counts if len(times) else glucose
    flagged_any = np.logical_or.reduceat(flagged, first) if len(times) else flagged
    starts, ends = _stretches(unique)
    points = _grid_points(unique, starts, ends)
    kept = _choose(points, sequence)
    base = Accounting.from_rows(
        screened, readings=len(readings.times_ms), valid=len(times),
        calibrations=len(readings.calibrations_ms), duplicates=int((counts - 1).sum()),
        quality_flagged=quality_flagged,
    )  # fmt: skip
    stretches = _stretch_list(unique, starts, ends, points, kept)
    if len(kept) == 0:
        raise too_short_error(points, base.with_stretches(stretches, (), readings))
    anchors = _anchors(unique, starts, ends)
    grids = [
        _grid(
            int(anchors[k]),
            unique[starts[k] : ends[k]],
            merged[starts[k] : ends[k]],
            flagged_any[starts[k] : ends[k]],
        )
        for k in kept
    ]
    lengths = np.array([len(g.times) for g in grids], dtype=np.int64)
    accounting = base.with_stretches(
        stretches, grids_summary(grids, kept, unique, starts), readings
    )
    return Prepared(
        times_ms=np.concatenate([g.times for g in grids]),
        glucose=np.concatenate([g.values for g in grids]).astype(np.float32),
        stretch_starts=np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64),
        last_reading_s=np.concatenate([g.last_s for g in grids]),
        last_value=np.concatenate([g.last_value for g in grids]).astype(np.float32),
        imputed=np.concatenate([g.imputed for g in grids]),
        clipped=np.concatenate([g.clipped for g in grids]),
        accounting=accounting,
    )


def _stretch_list(
    unique: np.ndarray, starts: np.ndarray, ends: np.ndarray, points: np.ndarray, kept: np.ndarray
) -> list[Stretch]:
    chosen = np.isin(np.arange(len(starts)), kept)
    return [
        Stretch(int(unique[s]), int(unique[e - 1]), int(e - s), int(p), bool(k))
        for s, e, p, k in zip(starts, ends, points, chosen, strict=True)
    ]


def grids_summary(
    grids: list[_Grid], kept: np.ndarray, unique: np.ndarray, starts: np.ndarray
) -> tuple[int, int, int, int]:
    """(imputed points, readings sharing a slot, clipped points, warm-up points)."""
    warmup = 0
    for grid, k in zip(grids, kept, strict=True):
        if k > 0 and unique[starts[k]] - unique[starts[k] - 1] >= WARMUP_GAP_MS:
            warmup += int((grid.times < grid.times[0] + WARMUP_MS).sum())
    return (
        sum(int(g.imputed.sum()) for g in grids),
        sum(g.shared for g in grids),
        sum(int(g.clipped.sum()) for g in grids),
        warmup,
    )


def _stretches(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(times) > MAX_GAP_MS) + 1
    starts = np.concatenate([[0], breaks]).astype(np.int64)
    ends = np.concatenate([breaks, [len(times)]]).astype(np.int64)
    return starts, ends


def _anchors(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Each stretch's first grid instant: the earliest whole minute at or after its
    first reading plus the largest offset of any of its readings from the 5-minute
    rhythm the first one sets. Every reading then lies at most 5 minutes before
    the grid point of its slot and never after it, so jitter in the seconds never
    moves a reading past the forecast start of the window it ends; whole minutes
    keep the calendar covariates as the model was trained on."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    first = times[starts]
    relative = times - np.repeat(first, ends - starts)
    half = STEP_MS // 2
    offsets = (relative + half) % STEP_MS - half  # [-2.5, 2.5) minutes from the rhythm
    latest = np.maximum.reduceat(offsets, starts)
    return -((-(first + latest)) // 60_000) * 60_000  # ceiling to the minute


def _slots(times: np.ndarray, anchor: int | np.ndarray) -> np.ndarray:
    """The grid point at or after each reading (0 = the anchor)."""
    return -((anchor - times) // STEP_MS)


def _grid_points(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    anchors = _anchors(times, starts, ends)
    return np.maximum(_slots(times[ends - 1], anchors), 0) + 1


def _choose(points: np.ndarray, sequence: str) -> np.ndarray:
    """Positions of the stretches kept, in time order."""
    eligible = np.flatnonzero(points >= WINDOW_STEPS)
    if len(eligible) == 0:
        # No window has a known next hour, but the hour after the data needs only
        # the 8 hours before it: a last stretch that long still serves --ahead.
        serves_ahead = len(points) > 0 and points[-1] >= INPUT_STEPS
        return np.array([len(points) - 1]) if serves_ahead else eligible
    if sequence == "all":
        return eligible
    if sequence == "longest":
        # Ties go to the latest: the most recent data is the most useful forecast.
        longest = np.flatnonzero(points[eligible] == points[eligible].max())[-1]
        return eligible[[longest]]
    return eligible[-1:]


def _grid(anchor: int, times: np.ndarray, values: np.ndarray, flagged: np.ndarray) -> _Grid:
    snapped = _slots(times, anchor)
    count = int(snapped[-1]) + 1
    grid = anchor + np.arange(count, dtype=np.int64) * STEP_MS
    # Linear in time between readings; points after the last reading hold its value.
    interpolated = np.interp(grid.astype(np.float64), times.astype(np.float64), values)
    observed = np.zeros(count, dtype=bool)
    observed[snapped] = True
    clipped = np.zeros(count, dtype=bool)
    clipped[snapped[flagged]] = True
    # The latest reading at or before each grid instant (the anchor lies at or after
    # the first reading, so there always is one).
    latest = np.searchsorted(times, grid, side="right") - 1
    return _Grid(
        times=grid,
        values=interpolated,
        last_s=times[latest] // 1000,
        last_value=values[latest],
        imputed=~observed,
        clipped=clipped,
        shared=len(times) - int(observed.sum()),
    )
