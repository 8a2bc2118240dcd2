"""Seeded synthetic CGM traces (test data only: numpy and datetime, no I/O).

`make_trace` draws a plausible multi-day glucose signal (circadian drift, meal
responses, sensor noise) sampled every few minutes with a sensor's clock offset,
then optionally damages it the way real exports are damaged: gaps, duplicated
readings, out-of-range excursions and a daylight-saving clock change. The same
arguments always give the same trace. Never used on real data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

DEFAULT_START = datetime(2024, 3, 4, 0, 0, 0)
SENSOR_LOW = 40.0  # below this a sensor reports "Low"
SENSOR_HIGH = 400.0  # above this a sensor reports "High"
_MEAL_HOURS = (7.5, 12.5, 19.0)


def make_trace(
    days: float,
    seed: int,
    start: datetime = DEFAULT_START,
    *,
    step_minutes: int = 5,
    gaps: int = 0,
    duplicates: int = 0,
    out_of_range: int = 0,
    dst: str | None = None,
) -> tuple[list[datetime], np.ndarray]:
    """Readings of `days` days from `start` (naive local time) and their mg/dL values.

    Knobs: `gaps` removes that many spans (alternately one short 10-minute hole,
    which preparation interpolates, and one 30-180 minute outage, which splits the
    sequence); `duplicates` repeats that many readings with the same timestamp;
    `out_of_range` adds that many excursions beyond the sensor's 40-400 mg/dL range;
    `dst` is "spring" (clocks jump forward an hour mid-trace) or "fall" (an hour of
    local times repeats). Values are whole mg/dL, as sensors report them.
    """
    rng = np.random.default_rng(seed)
    count = max(1, int(round(days * 24 * 60 / step_minutes)))
    minutes = np.arange(count, dtype=np.float64) * step_minutes
    values = _glucose_signal(minutes, start, rng)
    values = _add_excursions(values, out_of_range, rng)
    # A sensor's clock is offset from whole minutes and jitters by a few seconds.
    offset_s = int(rng.integers(5, 55))
    jitter_s = rng.integers(-2, 3, size=count)
    seconds = minutes * 60 + offset_s + jitter_s
    keep = _gap_mask(count, step_minutes, gaps, rng)
    seconds, values = seconds[keep], values[keep]
    seconds, values = _duplicate(seconds, values, duplicates, rng)
    seconds = _shift_clock(seconds, dst)
    times = [start + timedelta(seconds=int(s)) for s in seconds]
    return times, values


def _glucose_signal(minutes: np.ndarray, start: datetime, rng: np.random.Generator) -> np.ndarray:
    start_hour = start.hour + start.minute / 60
    hours = start_hour + minutes / 60
    baseline = 115 + 15 * np.sin(2 * np.pi * (hours - 4) / 24)
    signal = baseline.copy()
    for day in range(int(hours[-1] // 24) + 1):
        for meal in _MEAL_HOURS:
            onset = day * 24 + meal + rng.normal(0, 0.5)
            size = rng.uniform(35, 95)
            since = np.clip(hours - onset, 0, None)
            # A gamma-shaped rise over ~45 minutes and a slower return.
            signal += size * (since / 0.75) * np.exp(1 - since / 0.75) * (hours > onset)
    noise = np.zeros_like(signal)
    shocks = rng.normal(0, 2.5, size=signal.shape)
    for i in range(1, len(noise)):  # AR(1): sensor noise is correlated
        noise[i] = 0.9 * noise[i - 1] + shocks[i]
    return np.clip(np.round(signal + noise), SENSOR_LOW, SENSOR_HIGH)


def _add_excursions(values: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    out = values.copy()
    for k in range(count):
        at = int(rng.integers(0, len(out)))
        span = slice(at, min(len(out), at + 4))
        out[span] = SENSOR_HIGH + 30 if k % 2 == 0 else SENSOR_LOW - 5
    return out


def _gap_mask(count: int, step: int, gaps: int, rng: np.random.Generator) -> np.ndarray:
    keep = np.ones(count, dtype=bool)
    for k in range(gaps):
        # A short hole is one missing reading: a 10-minute gap, safely under the 15-minute
        # split even with clock jitter.
        missing = 1 if k % 2 == 0 else max(1, int(rng.integers(30, 181)) // step)
        at = int(rng.integers(1, max(2, count - missing - 1)))
        keep[at : at + missing] = False
    return keep


def _duplicate(
    seconds: np.ndarray, values: np.ndarray, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    if count == 0:
        return seconds, values
    picks = np.sort(rng.choice(len(seconds), size=min(count, len(seconds)), replace=False))
    order = np.sort(np.concatenate([np.arange(len(seconds)), picks]), kind="stable")
    return seconds[order], values[order]


def _shift_clock(seconds: np.ndarray, dst: str | None) -> np.ndarray:
    if dst is None:
        return seconds
    if dst not in ("spring", "fall"):
        raise ValueError("dst must be 'spring', 'fall' or None")
    shift = 3600 if dst == "spring" else -3600
    middle = len(seconds) // 2
    shifted = seconds.copy()
    shifted[middle:] += shift
    return shifted
