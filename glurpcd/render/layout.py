"""What a forecast plot shows, as numbers and strings (pure compute, numpy only).

`plot_content` decides every datum, limit, tick and text of one plot; the figure
module only hands them to matplotlib. Times are minutes relative to the forecast
start (the last observed reading, where the median is anchored). This module
must never import matplotlib, asyncio or torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glurpcd.forecast import WindowForecast
from glurpcd.render.density import fan_outline, mixture_density
from glurpcd.render.style import PlotStyle

TARGET_RANGE = (70.0, 180.0)  # mg/dL, the consensus time-in-range band
HISTORY_MINUTES = 60.0
TICK_MINUTES = 15.0
FAN_HALF_WIDTH = 2.1  # minutes: a fan fills most of its 5-minute slot without touching the next
FAN_GRID_POINTS = 200
_MARGIN = 10.0  # mg/dL kept free above and below the data


@dataclass(frozen=True)
class PlotContent:
    forecast_start: np.datetime64
    observed_minutes: np.ndarray  # last hour of history then the truth; NaN breaks the line
    observed: np.ndarray
    median_minutes: np.ndarray  # starts at 0 with the last observed value
    median: np.ndarray
    fans: tuple[np.ndarray, ...]  # one (x minutes, mg/dL) outline per forecast step
    x_limits: tuple[float, float]
    y_limits: tuple[float, float]
    tick_minutes: np.ndarray
    tick_labels: tuple[str, ...]
    title: str
    subtitle: str


def _minutes(times: np.ndarray, start: np.datetime64) -> np.ndarray:
    seconds = (times.astype("datetime64[s]") - start).astype(np.int64)
    return seconds.astype(np.float64) / 60.0


def _clock(start: np.datetime64, minutes: float) -> str:
    instant = start + np.timedelta64(int(round(minutes * 60)), "s")
    return str(instant.astype("datetime64[m]"))[11:16]


def _y_limits(*arrays: np.ndarray) -> tuple[float, float]:
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    low = min(float(values.min()), TARGET_RANGE[0]) - _MARGIN
    high = max(float(values.max()), TARGET_RANGE[1]) + _MARGIN
    return max(0.0, np.floor(low / 10.0) * 10.0), np.ceil(high / 10.0) * 10.0


def _fans(
    forecast: WindowForecast, minutes: np.ndarray, limits: tuple[float, float]
) -> tuple[np.ndarray, ...]:
    grid = np.linspace(limits[0], limits[1], FAN_GRID_POINTS)
    spacing = grid[1] - grid[0]
    density = mixture_density(
        forecast.sample_means, forecast.sample_stds, grid, min_std=1.5 * spacing
    )
    return tuple(
        fan_outline(row, grid, float(centre), FAN_HALF_WIDTH)
        for row, centre in zip(density, minutes, strict=True)
    )


def plot_content(
    forecast: WindowForecast, model_id: str, style: PlotStyle | None = None
) -> PlotContent:
    """Everything one plot of `forecast` shows (the forecast must pass `check_forecast`)."""
    start = forecast.history_times[-1].astype("datetime64[s]")
    history_minutes = _minutes(forecast.history_times, start)
    recent = history_minutes >= -HISTORY_MINUTES
    future_minutes = _minutes(forecast.future_times, start)
    history = np.asarray(forecast.history, dtype=np.float64)
    truth = np.asarray(forecast.truth, dtype=np.float64)
    median = np.concatenate(([history[-1]], np.asarray(forecast.median, dtype=np.float64)))
    quantiles = np.asarray(forecast.quantiles, dtype=np.float64)
    y_limits = _y_limits(history[recent], truth, median, quantiles[0], quantiles[-1])
    reach = max(HISTORY_MINUTES, float(future_minutes[-1]))
    ticks = np.arange(-HISTORY_MINUTES, reach + 0.5, TICK_MINUTES)
    window_start = str(forecast.history_times[0].astype("datetime64[m]")).replace("T", " ")
    return PlotContent(
        forecast_start=start,
        observed_minutes=np.concatenate((history_minutes[recent], future_minutes)),
        observed=np.concatenate((history[recent], truth)),
        median_minutes=np.concatenate(([0.0], future_minutes)),
        median=median,
        fans=_fans(forecast, future_minutes, y_limits),
        x_limits=(-HISTORY_MINUTES - 2.5, reach + 2.5),
        y_limits=y_limits,
        tick_minutes=ticks,
        tick_labels=tuple(_clock(start, float(m)) for m in ticks),
        title=f"Glucose forecast from {str(start.astype('datetime64[m]')).replace('T', ' ')}",
        subtitle=f"window {forecast.index} starting {window_start}  |  model {model_id}",
    )
