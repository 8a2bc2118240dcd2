"""Several windows on one axis, aligned at their forecast starts (pure compute: matplotlib Agg).

Layer: render. `glurpc plot cgm.csv --index 0..2 --combine overlay` compares
windows: each gets one colour for its history, its median (anchored at its
last reading, minute 0) and its 5-95 % band, with its truth dashed. The x axis
counts minutes from each window's own forecast start, so the forecasts line up;
the legend names each window and when its forecast starts. A fresh figure per
call (overlays are rare next to single plots); matplotlib's defaults only, no
timestamps in the metadata, so the same windows give the same bytes. Never
import pyplot, asyncio or torch here.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from glurpc_core.forecast import WindowForecast
from glurpc_core.render.figure import FIGURE_INCHES, TARGET_RGB, house_style
from glurpc_core.render.layout import TARGET_RANGE, target_label
from glurpc_core.render.style import PlotStyle
from glurpc_core.series import MGDL_PER_MMOL

# Distinct, colour-blind-aware hues (Okabe-Ito), one per window.
COLOURS = (
    (0.00, 0.45, 0.70), (0.84, 0.37, 0.00), (0.00, 0.62, 0.45), (0.80, 0.47, 0.65),
    (0.34, 0.71, 0.91), (0.90, 0.62, 0.00), (0.35, 0.35, 0.35), (0.60, 0.20, 0.20),
)  # fmt: skip
METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {"Software": None}}


def _minutes(times: np.ndarray, start: np.datetime64) -> np.ndarray:
    seconds = (times.astype("datetime64[s]") - start).astype(np.int64)
    return seconds.astype(np.float64) / 60.0


def _draw(
    axes: Axes, forecast: WindowForecast, style: PlotStyle, colour: tuple[float, ...], factor: float
) -> None:
    start = forecast.history_times[-1].astype("datetime64[s]")
    history_minutes = _minutes(forecast.history_times, start)
    shown = history_minutes >= -style.history_hours * 60.0
    history = np.asarray(forecast.history, dtype=np.float64) * factor
    future = _minutes(forecast.future_times, start)
    low, high = (np.asarray(forecast.quantiles[row], dtype=np.float64) * factor for row in (0, 4))
    median = np.asarray(forecast.median, dtype=np.float64) * factor
    when = str(start.astype("datetime64[m]")).replace("T", " ")
    label = f"{style.label or f'window {forecast.index}'}: from {when}"
    axes.plot(history_minutes[shown], history[shown], color=colour, lw=1.2, alpha=0.7)
    axes.fill_between(future, low, high, color=colour, alpha=0.15, lw=0)
    axes.plot([0.0, *future], [history[-1], *median], color=colour, lw=2.2, label=label)
    truth = np.asarray(forecast.truth, dtype=np.float64) * factor
    axes.plot(future, truth, color=colour, lw=1.2, ls="--")


def render_overlay(forecasts: list[WindowForecast], styles: list[PlotStyle], fmt: str) -> bytes:
    """One image of `forecasts` (with their `styles`; the first sets unit, span and dpi)."""
    first = styles[0]
    factor = 1.0 / MGDL_PER_MMOL if first.unit == "mmol/L" else 1.0
    with house_style():
        figure = Figure(figsize=FIGURE_INCHES, dpi=first.dpi)
        canvas = FigureCanvasAgg(figure)
        axes = figure.add_axes((0.075, 0.12, 0.64, 0.76))
        low, high = (value * factor for value in TARGET_RANGE)
        axes.axhspan(low, high, color=TARGET_RGB, alpha=0.13, lw=0, zorder=0)
        axes.axvline(0.0, color="0.45", lw=1.0, ls="--")
        for position, (forecast, style) in enumerate(zip(forecasts, styles, strict=True)):
            _draw(axes, forecast, style, COLOURS[position % len(COLOURS)], factor)
        axes.set_xlabel("Minutes from each window's forecast start (dashed: what happened)")
        axes.set_ylabel(f"Glucose ({first.unit})")
        axes.grid(True, color="0.85", lw=0.8)
        title = first.title or f"{len(forecasts)} forecasts, aligned at their start"
        figure.text(0.075, 0.93, title, fontsize=14, weight="bold")
        subtitle = f"band: 5-95 %  |  {target_label(low, high, first.unit)}"
        figure.text(0.075, 0.895, subtitle, fontsize=10, color="0.3")
        figure.legend(loc="center right", fontsize=9, frameon=False)
        out = io.BytesIO()
        canvas.print_figure(out, format=fmt, dpi=first.dpi, metadata=METADATA.get(fmt, {}))
        return out.getvalue()
