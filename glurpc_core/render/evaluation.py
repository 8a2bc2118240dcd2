"""The figure of `glurpc evaluate` (pure compute: matplotlib Agg, no pyplot).

Six panels: the served model's pooled forecasts on the Clarke and Parkes
(type 1) error grids at 30 and 60 minutes, with each grid's zone shares; RMSE
by horizon for every forecaster, with 95 % bootstrap intervals over sources
when there are at least two; and the 50 % and 90 % bands' coverage by horizon
against their nominal levels. Built fresh per call (one evaluation is rare
next to plots), under house_style, so the same report gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from glurpc_core.evaluation.grids import PARKES_LOWER, PARKES_UPPER
from glurpc_core.render.figure import house_style
from glurpc_core.render.inputs import check_format

VERSION = 2  # raise when the drawing changes: cached figures are keyed by it
FIGURE_INCHES = (15.0, 9.5)
DPI = 100
CLARKE_MAX, PARKES_MAX = 400.0, 550.0
NAMES = {
    "model": "served model",
    "persistence": "persistence",
    "linear": "linear extrapolation",
    "personal_ar": "personal AR(6)",
}
COLOURS = {
    "model": "#c0392b", "persistence": "#555555", "linear": "#2e86c1", "personal_ar": "#27ae60",
}  # fmt: skip
BAND_COLOURS = {"90": "#6c3483", "50": "#af7ac5"}  # the bands' coverage, drawn in this order
_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {"Software": None}}

# Clarke's zone boundaries as segments ((x0, y0), (x1, y1)) in mg/dL.
CLARKE_LINES = (
    ((0, 70), (70 / 1.2, 70)), ((70 / 1.2, 70), (400 / 1.2, 400)),  # A, upper side
    ((70, 0), (70, 56)), ((70, 56), (400, 320)),  # A, lower side
    ((0, 180), (70, 180)), ((70, 180), (70, 400)),  # E, upper left
    ((70, 180), (290, 400)),  # C, upper
    ((130, 0), (180, 70)), ((180, 0), (180, 70)), ((180, 70), (400, 70)),  # C and E, lower
    ((240, 70), (240, 180)), ((240, 180), (400, 180)),  # D, right
)  # fmt: skip
# Where each zone's letter goes: a point inside that zone, (reference, forecast).
CLARKE_LETTERS = (
    ("A", 355, 375), ("B", 250, 340), ("B", 350, 230), ("C", 120, 350), ("C", 165, 20),
    ("D", 30, 120), ("D", 330, 120), ("E", 30, 300), ("E", 215, 30),
)  # fmt: skip
PARKES_LETTERS = (
    ("A", 480, 480), ("B", 300, 500), ("C", 150, 500), ("D", 60, 500), ("E", 20, 400),
    ("B", 450, 300), ("C", 450, 150), ("D", 350, 20),
)  # fmt: skip


def render_evaluation(report: dict[str, Any], points: dict[str, np.ndarray], fmt: str) -> bytes:
    """Image bytes (png, svg or pdf) of an evaluation report and its pooled grid points."""
    fmt = check_format(fmt)
    with house_style():
        figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
        FigureCanvasAgg(figure)
        grid = figure.subplots(2, 3)
        pooled = report["pooled"]
        for column, minutes in enumerate(("30", "60")):
            truth, model = points[f"truth_{minutes}"], points[f"model_{minutes}"]
            shares = pooled["grids"]
            _clarke(grid[0, column], truth, model, minutes, shares["clarke"][minutes]["model"])
            _parkes(grid[1, column], truth, model, minutes, shares["parkes"][minutes]["model"])
        _rmse_by_horizon(grid[0, 2], report)
        _coverage_by_horizon(grid[1, 2], report)
        figure.suptitle(
            f"{pooled['windows']} windows of {len(report['sources'])} source(s); "
            "error grids show the served model"
        )
        return saved(figure, fmt)


def saved(figure: Figure, fmt: str) -> bytes:
    """The laid-out figure's bytes, without the dates and versions that would
    make the same report give different bytes."""
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format=fmt, dpi=DPI, metadata=_METADATA[fmt])
    return out.getvalue()


def _scatter(axes: Axes, truth: np.ndarray, model: np.ndarray, limit: float) -> None:
    axes.scatter(truth, model, s=3, color=COLOURS["model"], alpha=0.35, lw=0, rasterized=True)
    axes.set_xlim(0, limit)
    axes.set_ylim(0, limit)
    axes.set_aspect("equal")
    axes.set_xlabel("reference glucose (mg/dL)")
    axes.set_ylabel("forecast glucose (mg/dL)")


def _letters(axes: Axes, letters: tuple[tuple[str, int, int], ...]) -> None:
    for letter, x, y in letters:
        axes.text(x, y, letter, ha="center", va="center", fontsize=11, color="0.3")


def _shares_text(axes: Axes, shares: dict[str, float]) -> None:
    text = "\n".join(f"{zone}: {100 * share:.1f} %" for zone, share in shares.items())
    axes.text(0.98, 0.02, text, transform=axes.transAxes, ha="right", va="bottom", fontsize=8,
              bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})  # fmt: skip


def _clarke(axes: Axes, truth: np.ndarray, model: np.ndarray, minutes: str, shares: Any) -> None:
    _scatter(axes, truth, model, CLARKE_MAX)
    for (x0, y0), (x1, y1) in CLARKE_LINES:
        axes.plot([x0, x1], [y0, y1], color="black", lw=0.8)
    _letters(axes, CLARKE_LETTERS)
    axes.set_title(f"Clarke error grid, {minutes} min")
    _shares_text(axes, shares)


def _parkes(axes: Axes, truth: np.ndarray, model: np.ndarray, minutes: str, shares: Any) -> None:
    _scatter(axes, truth, model, PARKES_MAX)
    for line in PARKES_UPPER:
        axes.plot(*np.array(line, dtype=float).T, color="black", lw=0.8)
    for line in PARKES_LOWER:
        xs, ys = np.array(line, dtype=float).T
        axes.plot([xs[0], *xs], [0.0, *ys], color="black", lw=0.8)  # from its vertical
    _letters(axes, PARKES_LETTERS)
    axes.set_title(f"Parkes (consensus, type 1) error grid, {minutes} min")
    _shares_text(axes, shares)


def _rmse_by_horizon(axes: Axes, report: dict[str, Any]) -> None:
    minutes = np.array(report["horizons_min"])
    pooled = report["pooled"]
    for name in report["forecasters"]:
        ci = pooled["rmse_ci"][name] if pooled.get("rmse_ci") else None
        horizon_line(axes, minutes, pooled["metrics"][name]["rmse"], ci, COLOURS[name], NAMES[name])
    horizon_axes(axes, minutes, "Pooled RMSE by horizon (shaded: 95 % interval)", "RMSE (mg/dL)")


def _coverage_by_horizon(axes: Axes, report: dict[str, Any]) -> None:
    minutes = np.array(report["horizons_min"])
    for band, colour in BAND_COLOURS.items():
        share = 100 * np.array(report["pooled"]["coverage"][band], dtype=float)
        axes.plot(minutes, share, marker="o", ms=3, color=colour, label=f"{band} % band")
        axes.axhline(float(band), color=colour, ls="--", lw=0.8)
    horizon_axes(
        axes, minutes, "Band coverage by horizon (dashed: nominal)", "truth inside the band (%)"
    )
    axes.set_ylim(0, 100)


def horizon_line(
    axes: Axes,
    minutes: np.ndarray,
    values: list[float | None],
    ci: list[list[float]] | None,
    colour: Any,
    label: str,
    **line: Any,
) -> None:
    """One number by horizon, its 95 % interval shaded when there is one."""
    axes.plot(
        minutes, np.array(values, dtype=float), marker="o", ms=3, color=colour, label=label, **line
    )
    if ci is not None:
        low, high = np.array(ci, dtype=float).T
        axes.fill_between(minutes, low, high, color=colour, alpha=0.15, lw=0)


def horizon_axes(axes: Axes, minutes: np.ndarray, heading: str, ylabel: str, **legend: Any) -> None:
    """The house finish of a panel by horizon: labels, a tick per horizon, legend, grid."""
    axes.set_title(heading)
    axes.set_xlabel("horizon (min)")
    axes.set_ylabel(ylabel)
    axes.set_xticks(minutes)
    axes.legend(fontsize=8, **legend)
    axes.grid(alpha=0.3)
