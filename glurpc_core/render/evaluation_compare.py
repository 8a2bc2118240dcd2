"""The figure of `glurpc evaluate --model A --model B` (pure compute: matplotlib Agg, no pyplot).

Four panels of the comparison the daemon answers (`models`, each with `name`,
and `differences`; glurpc_core/evaluation/compare.py): each model's pooled
RMSE by horizon, persistence for reference; each model's 50 % and 90 % band
coverage; and each later model minus the first, RMSE and 90 % coverage, with
the paired 95 % bootstrap intervals when there are at least two sources. A
model keeps the colour it has in `glurpc plot --model ...`. The panels, the
house style and the byte-stable output are those of the one-model figure
(evaluation.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from glurpc_core.render.evaluation import (
    BAND_COLOURS,
    COLOURS,
    DPI,
    horizon_axes,
    horizon_line,
    saved,
)
from glurpc_core.render.figure import MEDIAN_RGB, OVERLAY_STYLES, house_style
from glurpc_core.render.inputs import check_format

VERSION = 1  # raise when the drawing changes: cached figures are keyed by it
FIGURE_INCHES = (13.0, 9.0)
# The order `plot` draws models side by side in: the first as a one-model plot.
MODEL_COLOURS = (MEDIAN_RGB, *(median for median, _, _ in OVERLAY_STYLES))
BAND_STYLES = {"90": "-", "50": ":"}  # dashed is the nominal level's
# The lower panels, per difference: title, unit, scale from the report's, legend's reading.
DIFFERENCES = {
    "rmse": ("RMSE", "mg/dL", 1.0, "negative: better than"),
    "coverage_90": (
        "90 % band coverage",
        "percentage points",
        100.0,
        "negative: truth inside less often than with",
    ),
}


def render_comparison(compared: dict[str, Any], fmt: str) -> bytes:
    """Image bytes (png, svg or pdf) of an `evaluate` reply comparing 2 to 4 models."""
    fmt = check_format(fmt)
    models = compared["models"]
    names = [str(one["name"]) for one in models]
    minutes = np.array(models[0]["horizons_min"])
    with house_style():
        figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
        FigureCanvasAgg(figure)
        grid = figure.subplots(2, 2)
        _rmse(grid[0, 0], minutes, models)
        _coverage(grid[0, 1], minutes, models)
        for axes, measure in zip(grid[1], DIFFERENCES, strict=True):
            _difference(axes, minutes, compared["differences"], names[0], measure)
        first = models[0]
        figure.suptitle(
            f"{first['pooled']['windows']} windows of {len(first['sources'])} source(s); "
            f"models: {', '.join(names)}"
        )
        return saved(figure, fmt)


def _rmse(axes: Axes, minutes: np.ndarray, models: list[dict[str, Any]]) -> None:
    # Persistence sees only the windows, which every model shares: one line.
    flat = models[0]["pooled"]["metrics"]["persistence"]["rmse"]
    grey = COLOURS["persistence"]
    axes.plot(minutes, np.array(flat, dtype=float), color=grey, ls="--", label="persistence")
    for colour, one in zip(MODEL_COLOURS, models, strict=False):
        pooled = one["pooled"]
        ci = pooled["rmse_ci"]["model"] if pooled.get("rmse_ci") else None
        horizon_line(axes, minutes, pooled["metrics"]["model"]["rmse"], ci, colour, one["name"])
    horizon_axes(axes, minutes, "Pooled RMSE by horizon (shaded: 95 % interval)", "RMSE (mg/dL)")


def _coverage(axes: Axes, minutes: np.ndarray, models: list[dict[str, Any]]) -> None:
    for band, nominal in BAND_COLOURS.items():
        axes.axhline(float(band), color=nominal, ls="--", lw=0.8)
    for colour, one in zip(MODEL_COLOURS, models, strict=False):
        for band, style in BAND_STYLES.items():
            share = [100 * value for value in one["pooled"]["coverage"][band]]
            label = f"{one['name']}, {band} % band"
            horizon_line(axes, minutes, share, None, colour, label, ls=style)
    title = "Band coverage (solid: 90 %, dotted: 50 %, dashed: nominal)"
    horizon_axes(axes, minutes, title, "truth inside the band (%)")
    axes.set_ylim(0, 100)


def _difference(
    axes: Axes, minutes: np.ndarray, differences: list[dict[str, Any]], first: str, measure: str
) -> None:
    """Each later model's `measure` minus the first's, in the later model's colour."""
    title, unit, scale, reading = DIFFERENCES[measure]
    axes.axhline(0.0, color="black", lw=0.8)
    for colour, entry in zip(MODEL_COLOURS[1:], differences, strict=False):
        values = [scale * value for value in entry[measure]]
        bounds = entry[f"{measure}_ci"]  # None with one source: nothing to resample
        ci = None if bounds is None else [[scale * b for b in pair] for pair in bounds]
        horizon_line(axes, minutes, values, ci, colour, str(entry["model"]))
    horizon_axes(
        axes,
        minutes,
        f"{title} minus {first}'s (shaded: paired 95 % interval)",
        f"difference ({unit})",
        title=f"{reading} {first}",
        title_fontsize=8,
    )
