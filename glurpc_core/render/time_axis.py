"""The time axis of a forecast plot: ticks on round clock times and the date (pure, numpy only).

Layer: render layout. Ticks fall on whole quarter, half or full hours of the
file's clock, not at fixed offsets from the forecast start (a window starting
at 14:41 ticks at 14:00, 15:00, not 14:41, 15:41). The axis label names the
date, and the first tick of a new day carries that day, so a window that
crosses midnight is never read as one day. This module must never import
matplotlib, asyncio or torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class TimeAxis:
    tick_minutes: np.ndarray  # relative to the forecast start
    tick_labels: tuple[str, ...]
    label: str  # the axis label, with the date(s) the window covers


def tick_step(span_minutes: float) -> float:
    """15 minutes for an hour of history, 30 up to three hours, then hourly."""
    return 15.0 if span_minutes <= 60 else 30.0 if span_minutes <= 180 else 60.0


def time_axis(start: np.datetime64, low: float, high: float, step: float) -> TimeAxis:
    """Ticks every `step` minutes on the clock between `low` and `high` minutes from
    `start` (the forecast start, naive local time)."""
    origin = int(start.astype("datetime64[m]").astype(np.int64))  # minutes since the epoch
    offset = float(start.astype("datetime64[s]").astype(np.int64)) / 60.0 - origin
    first = np.ceil((origin + offset + low) / step) * step
    absolute = np.arange(first, origin + offset + high + 1e-9, step)
    relative = absolute - origin - offset
    instants = absolute.astype(np.int64).astype("datetime64[m]")
    days = instants.astype("datetime64[D]")
    labels = []
    for position, (instant, day) in enumerate(zip(instants, days, strict=True)):
        clock = str(instant)[11:16]
        new_day = position > 0 and day != days[position - 1]
        labels.append(f"{clock}\n{_short_day(day)}" if new_day else clock)
    return TimeAxis(relative, tuple(labels), _axis_label(start, low, high))


def _short_day(day: np.datetime64) -> str:
    return str(day)[5:10]  # MM-DD


def _axis_label(start: np.datetime64, low: float, high: float) -> str:
    first = (start + np.timedelta64(int(round(low * 60)), "s")).astype("datetime64[D]")
    last = (start + np.timedelta64(int(round(high * 60)), "s")).astype("datetime64[D]")
    if first == last:
        return f"Time on {first}"
    return f"Time, {first} to {last}"
