"""What a forecast plot shows, as numbers and strings (pure compute, numpy only).

`plot_content` decides every datum, limit, tick and text of one plot; the figure
module only hands them to matplotlib. Times are minutes relative to the forecast
start (the last observed reading, where the median is anchored). Values are in
the style's unit. The y range always holds the whole fan (every sample's mean
+- 3.5 sd), so no fan is ever cut flat by the axis. This module
must never import matplotlib, asyncio or torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glurpc_core.forecast import WindowForecast
from glurpc_core.render.density import fan_outline, mixture_density
from glurpc_core.render.style import PlotStyle
from glurpc_core.render.time_axis import tick_step, time_axis
from glurpc_core.series import MGDL_PER_MMOL, SENSOR_RANGE

TARGET_RANGE = (70.0, 180.0)  # mg/dL, the consensus time-in-range band
FAN_SUPPORT_SD = 3.5
MAX_SUBTITLE = 160
FAN_HALF_WIDTH = 2.1  # minutes: a fan fills most of its 5-minute slot without touching the next
FAN_GRID_POINTS = 200
_MARGIN = 10.0  # mg/dL kept free above and below the data


@dataclass(frozen=True)
class Overlay:
    """Another model's forecast of the same window, drawn over the first."""

    label: str  # the model's name
    median: np.ndarray  # at `PlotContent.median_minutes`
    fans: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class PlotContent:
    forecast_start: np.datetime64
    observed_minutes: np.ndarray  # shown history then the truth; NaN breaks the line
    observed: np.ndarray  # in `unit`
    hollow: np.ndarray  # bool per observed point: no reading of its own (interpolated)
    clipped: np.ndarray  # bool per observed point: a sensor High/Low at the device limit
    median_minutes: np.ndarray  # starts at 0 with the last observed value
    median: np.ndarray
    fans: tuple[np.ndarray, ...]  # one (x minutes, glucose) outline per forecast step
    x_limits: tuple[float, float]
    y_limits: tuple[float, float]
    tick_minutes: np.ndarray
    tick_labels: tuple[str, ...]
    title: str
    subtitle: str
    unit: str = "mg/dL"
    target_range: tuple[float, float] = TARGET_RANGE
    label: str = ""  # the first model's name when others are overlaid
    overlays: tuple[Overlay, ...] = ()
    target_label: str = "target 70-180 mg/dL"  # in the plot's unit, as the band is drawn
    time_label: str = "Time"


def target_label(low: float, high: float, unit: str) -> str:
    """The legend's words for the target band, in the unit the axis is drawn in."""
    if unit == "mg/dL":
        return f"target {low:.0f}-{high:.0f} {unit}"
    return f"target {low:.1f}-{high:.1f} {unit}"


def _minutes(times: np.ndarray, start: np.datetime64) -> np.ndarray:
    seconds = (times.astype("datetime64[s]") - start).astype(np.int64)
    return seconds.astype(np.float64) / 60.0


def _y_limits(
    step: float, margin: float, target: tuple[float, float], *arrays: np.ndarray
) -> tuple[float, float]:
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[np.isfinite(values)]
    low = min(float(values.min()), target[0]) - margin
    high = max(float(values.max()), target[1]) + margin
    bottom = np.floor(low / step) * step
    # Glucose is never negative, so the axis stops at 0 unless a fan reaches below it.
    return (max(0.0, bottom) if values.min() >= 0 else bottom), np.ceil(high / step) * step


def _fan_support(forecast: WindowForecast, factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Where each step's mixture has visible density: every sample's mean +- 3.5 sd
    (the fan's outline is cut at 1% of its peak, well inside this)."""
    means = np.asarray(forecast.sample_means, dtype=np.float64)
    spread = FAN_SUPPORT_SD * np.asarray(forecast.sample_stds, dtype=np.float64)[None, :]
    low = np.clip((means - spread).min(axis=1), *SENSOR_RANGE)
    high = np.clip((means + spread).max(axis=1), *SENSOR_RANGE)
    return low * factor, high * factor


def _fans(
    forecast: WindowForecast,
    minutes: np.ndarray,
    limits: tuple[float, float],
    factor: float,
    width: float = FAN_HALF_WIDTH,
) -> tuple[np.ndarray, ...]:
    grid = np.linspace(limits[0], limits[1], FAN_GRID_POINTS)
    spacing = grid[1] - grid[0]
    density = mixture_density(
        np.asarray(forecast.sample_means) * factor,
        np.asarray(forecast.sample_stds) * factor,
        grid,
        min_std=1.5 * spacing,
    )
    # A sensor reads nothing outside its range: the fan stops at its limits.
    outside = (grid < SENSOR_RANGE[0] * factor) | (grid > SENSOR_RANGE[1] * factor)
    density = np.where(outside[None, :], 0.0, density)
    return tuple(
        fan_outline(row, grid, float(centre), width)
        for row, centre in zip(density, minutes, strict=True)
    )


def _marks(style: PlotStyle, shown: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(hollow, clipped) per observed point; no marks when the style has none."""

    def fit(marks: np.ndarray, size: int) -> np.ndarray:
        return marks if len(marks) == size else np.zeros(size, dtype=bool)

    history_points = len(shown)
    hollow = np.concatenate(
        [fit(style.imputed, history_points)[shown], np.zeros(steps, dtype=bool)]
    )
    clipped = np.concatenate(
        [fit(style.clipped, history_points)[shown], fit(style.clipped_truth, steps)]
    )
    return hollow, clipped


def plot_content(
    forecast: WindowForecast, model_id: str, style: PlotStyle | None = None
) -> PlotContent:
    """Everything one plot of `forecast` shows (the forecast must pass `check_forecast`)."""
    style = style or PlotStyle(model_id=model_id)
    factor = 1.0 / MGDL_PER_MMOL if style.unit == "mmol/L" else 1.0
    start = forecast.history_times[-1].astype("datetime64[s]")
    span = style.history_hours * 60.0
    history_minutes = _minutes(forecast.history_times, start)
    shown = history_minutes >= -span
    future_minutes = _minutes(forecast.future_times, start)
    history = np.asarray(forecast.history, dtype=np.float64) * factor
    truth = np.asarray(forecast.truth, dtype=np.float64) * factor
    median = np.concatenate(([history[-1]], np.asarray(forecast.median, dtype=np.float64) * factor))
    others = [forecast for _, forecast in style.overlays]
    medians = [median] + [
        np.concatenate(([history[-1]], np.asarray(o.median, dtype=np.float64) * factor))
        for o in others
    ]
    supports = [bound for f in (forecast, *others) for bound in _fan_support(f, factor)]
    target = (TARGET_RANGE[0] * factor, TARGET_RANGE[1] * factor)
    step = 10.0 if style.unit == "mg/dL" else 1.0  # y limits on round numbers
    y_limits = _y_limits(step, _MARGIN * factor, target, history[shown], truth, *medians, *supports)
    reach = max(60.0, float(future_minutes[-1]))
    x_limits = (-span - 2.5, reach + 2.5)
    axis = time_axis(start, *x_limits, tick_step(span))
    window_start = str(forecast.history_times[0].astype("datetime64[m]")).replace("T", " ")
    hollow, clipped = _marks(style, shown, len(future_minutes))
    default_title = f"Glucose forecast from {str(start.astype('datetime64[m]')).replace('T', ' ')}"
    who = f"subject {style.subject}  |  " if style.subject is not None else ""
    label = style.label or f"window {forecast.index}"
    adapt = f"  |  adapt {style.adapt}" if style.adapt else ""
    names = " vs ".join([style.model_id or model_id, *(name for name, _ in style.overlays)])
    model_text = f"models {names}" if style.overlays else f"model {names}"
    subtitle = f"{who}{label}  |  input from {window_start}  |  {model_text}{adapt}"
    fans = _side_by_side_fans((forecast, *others), future_minutes, y_limits, factor)
    return PlotContent(
        forecast_start=start,
        observed_minutes=np.concatenate((history_minutes[shown], future_minutes)),
        observed=np.concatenate((history[shown], truth)),
        hollow=hollow,
        clipped=clipped,
        median_minutes=np.concatenate(([0.0], future_minutes)),
        median=median,
        fans=fans[0],
        x_limits=x_limits,
        y_limits=y_limits,
        tick_minutes=axis.tick_minutes,
        tick_labels=axis.tick_labels,
        title=style.title if style.title is not None else default_title,
        subtitle=subtitle[:MAX_SUBTITLE],
        unit=style.unit,
        target_range=target,
        label=style.model_id or model_id if style.overlays else "",
        overlays=tuple(
            Overlay(name, overlay_median, overlay_fans)
            for (name, _), overlay_median, overlay_fans in zip(
                style.overlays, medians[1:], fans[1:], strict=True
            )
        ),
        target_label=target_label(*target, style.unit),
        time_label=axis.label,
    )


def _side_by_side_fans(
    forecasts: tuple[WindowForecast, ...],
    minutes: np.ndarray,
    limits: tuple[float, float],
    factor: float,
) -> list[tuple[np.ndarray, ...]]:
    """Each model's fans; several models share each step's slot side by side,
    so no fan hides another."""
    count = len(forecasts)
    if count == 1:
        return [_fans(forecasts[0], minutes, limits, factor)]
    width = FAN_HALF_WIDTH * 2 / count
    offsets = [(k - (count - 1) / 2) * width for k in range(count)]
    return [
        _fans(forecast, minutes + offset, limits, factor, width / 2 * 0.95)
        for forecast, offset in zip(forecasts, offsets, strict=True)
    ]
