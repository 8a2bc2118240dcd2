"""The prepared matplotlib figure of a forecast plot (pure compute: matplotlib Agg, no pyplot).

`ForecastFigure` builds the figure and its artists once and, per plot, only
replaces their data, limits, ticks and texts: building a figure costs more than
drawing it. Rendering runs under matplotlib's default settings (never a user's
matplotlibrc), with metadata that carries no timestamps, so the same content
gives the same bytes. Never import pyplot (it picks GUI backends and keeps global
figures), asyncio or torch here. A `ForecastFigure` is not thread-safe.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FixedFormatter, FixedLocator
from PIL import Image

from glurpc_core.render.layout import TARGET_RANGE, PlotContent, target_label

FIGURE_INCHES = (10.0, 6.0)
DPI = 100  # 1000 x 600 pixels
OBSERVED_RGB = (0.12, 0.38, 0.80)  # history and truth
MEDIAN_RGB = (0.84, 0.12, 0.12)
CLIPPED_RGB = (0.05, 0.05, 0.05)
TARGET_RGB = (0.30, 0.70, 0.35)
FAN_NEAR_RGBA = (0.33, 0.13, 0.50, 0.80)  # first forecast step: darkest
FAN_FAR_RGBA = (0.78, 0.68, 0.90, 0.50)  # last forecast step: lightest
# Overlaid models (side by side): median colour, and fan colours near and far.
OVERLAY_STYLES = (
    ((0.93, 0.50, 0.00), (0.90, 0.45, 0.00, 0.80), (0.99, 0.80, 0.55, 0.50)),
    ((0.00, 0.55, 0.50), (0.00, 0.50, 0.45, 0.80), (0.60, 0.88, 0.84, 0.50)),
    ((0.35, 0.35, 0.35), (0.25, 0.25, 0.25, 0.75), (0.80, 0.80, 0.80, 0.50)),
)
_VECTOR_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}
PNG_COMPRESS_LEVEL = 3  # zlib's 6 takes ~40% longer for ~8% fewer bytes
SUBTITLE_POINTS = 10.0
MIN_SUBTITLE_POINTS = 6.5  # still legible at 100 dpi
TEXT_RIGHT_EDGE = 0.985  # figure fraction the title and subtitle must end before


@contextmanager
def house_style() -> Iterator[None]:
    """matplotlib defaults plus our overrides, restored afterwards."""
    with mpl.rc_context():
        mpl.rcdefaults()
        mpl.rcParams["svg.hashsalt"] = "glurpc"  # stable element ids in SVG output
        mpl.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, editable
        yield


def fan_colours(
    steps: int,
    near_rgba: tuple[float, ...] = FAN_NEAR_RGBA,
    far_rgba: tuple[float, ...] = FAN_FAR_RGBA,
) -> np.ndarray:
    """RGBA [steps, 4]: near steps dark, far steps light."""
    share = np.linspace(0.0, 1.0, steps)[:, None] if steps > 1 else np.zeros((1, 1))
    near, far = np.asarray(near_rgba), np.asarray(far_rgba)
    return near + (far - near) * share


class ForecastFigure:
    """One figure reused for many plots; `render` replaces every datum it shows."""

    def __init__(self) -> None:
        with house_style():
            self._figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
            self._canvas = FigureCanvasAgg(self._figure)
            self._build()

    def _build(self) -> None:
        figure = self._figure
        axes = figure.add_axes((0.075, 0.17, 0.905, 0.71))
        low, high = TARGET_RANGE
        self._target = Rectangle(
            (0, low), 1, high - low, transform=axes.get_yaxis_transform(),
            color=TARGET_RGB, alpha=0.13, lw=0, zorder=0,
        )  # fmt: skip
        axes.add_patch(self._target)
        axes.axvline(0.0, color="0.45", lw=1.0, ls="--", zorder=1)
        self._fans = PolyCollection([], edgecolors="none", zorder=2)
        axes.add_collection(self._fans, autolim=False)
        (self._observed,) = axes.plot([], [], color=OBSERVED_RGB, lw=1.8, zorder=4)
        # Readings filled; interpolated points hollow; High/Low at the limit as triangles.
        (self._filled,) = axes.plot(
            [], [], ls="none", marker="o", ms=4.5, color=OBSERVED_RGB, zorder=4
        )
        (self._hollow,) = axes.plot(
            [], [], ls="none", marker="o", ms=4.5, mfc="white", mec=OBSERVED_RGB, zorder=4
        )
        (self._clipped,) = axes.plot(
            [], [], ls="none", marker="^", ms=7, mfc="white", mec=CLIPPED_RGB, mew=1.5, zorder=6
        )
        (self._median,) = axes.plot([], [], color=MEDIAN_RGB, lw=2.4, zorder=5)
        axes.set_ylabel("Glucose (mg/dL)")
        axes.set_xlabel("Time")
        axes.grid(True, color="0.85", lw=0.8)
        axes.set_axisbelow(True)
        # Titles and subject ids are the client's text: drawn as it is, never
        # parsed as mathtext (a `$...$` could fail the render or cost seconds).
        self._title = figure.text(0.075, 0.945, "", fontsize=14, weight="bold", parse_math=False)
        self._subtitle = figure.text(
            0.075, 0.902, "", fontsize=SUBTITLE_POINTS, color="0.3", parse_math=False
        )
        self._legend = self._make_legend(figure)
        self._axes = axes
        # Built on the first side-by-side plot, hidden on the others: an
        # invisible artist draws nothing, so one-model images keep their bytes.
        self._overlays: list[tuple[Line2D, PolyCollection]] = []
        self._models_legend: Legend | None = None
        # Legend pixels per target label (the unit changes it): None where the
        # legend's area is not blank without it and must be drawn in full.
        self._legend_pixels: dict[str, tuple[slice, slice, np.ndarray] | None] = {}

    def _make_legend(self, figure: Figure) -> Legend:
        """One entry per kind of mark; drawn once and cached for PNGs (`_png`)."""
        reading = Line2D([], [], color=OBSERVED_RGB, lw=1.8, marker="o", ms=4.5)
        hollow = Line2D([], [], ls="none", marker="o", ms=4.5, mfc="white", mec=OBSERVED_RGB)
        clipped = Line2D([], [], ls="none", marker="^", ms=7, mfc="white", mec=CLIPPED_RGB)
        return figure.legend(
            handles=[
                reading,
                hollow,
                clipped,
                self._median,
                Patch(color=FAN_NEAR_RGBA, lw=0),
                Patch(color=TARGET_RGB, alpha=0.25, lw=0),
            ],
            labels=[
                "observed",
                "interpolated",
                "High/Low (clipped)",
                "median forecast",
                "predictive density",
                target_label(*TARGET_RANGE, "mg/dL"),
            ],
            loc="lower center",
            ncols=6,
            frameon=False,
            fontsize=9,
            columnspacing=1.2,
        )

    def warm_up(self) -> None:
        """Load fonts and cache the legend now, so the first real plot is not slower."""
        with house_style():
            self._cache_legend()

    def _update(self, content: PlotContent) -> None:
        self._observed.set_data(content.observed_minutes, content.observed)
        solid = ~content.hollow
        self._filled.set_data(content.observed_minutes[solid], content.observed[solid])
        self._hollow.set_data(
            content.observed_minutes[content.hollow], content.observed[content.hollow]
        )
        self._clipped.set_data(
            content.observed_minutes[content.clipped], content.observed[content.clipped]
        )
        self._median.set_data(content.median_minutes, content.median)
        self._fans.set_verts(list(content.fans))
        self._fans.set_facecolor(fan_colours(len(content.fans)).tolist())
        axes = self._axes
        axes.set_xlim(*content.x_limits)
        axes.set_ylim(*content.y_limits)
        axes.xaxis.set_major_locator(FixedLocator(content.tick_minutes.tolist()))
        axes.xaxis.set_major_formatter(FixedFormatter(content.tick_labels))
        axes.set_ylabel(f"Glucose ({content.unit})")
        low, high = content.target_range
        self._target.set_y(low)
        self._target.set_height(high - low)
        axes.set_xlabel(content.time_label)
        self._legend.get_texts()[-1].set_text(content.target_label)
        self._title.set_text(content.title)
        self._subtitle.set_text(content.subtitle)
        self._update_overlays(content)
        self._fit_subtitle()

    def _update_overlays(self, content: PlotContent) -> None:
        while len(self._overlays) < len(content.overlays):
            median_rgb, _, _ = OVERLAY_STYLES[len(self._overlays)]
            (line,) = self._axes.plot([], [], color=median_rgb, lw=2.4, zorder=5)
            fans = PolyCollection([], edgecolors="none", zorder=2)
            self._axes.add_collection(fans, autolim=False)
            self._overlays.append((line, fans))
        for number, (line, fans) in enumerate(self._overlays):
            shown = number < len(content.overlays)
            line.set_visible(shown)
            fans.set_visible(shown)
            if shown:
                overlay = content.overlays[number]
                _, near, far = OVERLAY_STYLES[number]
                line.set_data(content.median_minutes, overlay.median)
                fans.set_verts(list(overlay.fans))
                fans.set_facecolor(fan_colours(len(overlay.fans), near, far).tolist())
        if self._models_legend is not None:
            self._models_legend.remove()
            self._models_legend = None
        if content.overlays:
            self._models_legend = self._axes.legend(
                handles=[self._median, *(line for line, _ in self._overlays)][
                    : 1 + len(content.overlays)
                ],
                labels=[content.label, *(overlay.label for overlay in content.overlays)],
                loc="upper left",
                fontsize=9,
                framealpha=0.85,
                title="median and density by model",
                title_fontsize=9,
            )

    def _fit_subtitle(self) -> None:
        """Shrink the subtitle's font until it ends inside the figure (a long subject
        id and model name must not be cut at the right edge)."""
        renderer = self._canvas.get_renderer()
        limit = TEXT_RIGHT_EDGE * self._figure.bbox.width
        points = SUBTITLE_POINTS
        self._subtitle.set_fontsize(points)
        while points > MIN_SUBTITLE_POINTS:
            if self._subtitle.get_window_extent(renderer).x1 <= limit:
                return
            points = max(MIN_SUBTITLE_POINTS, points - 0.5)
            self._subtitle.set_fontsize(points)

    def render(self, content: PlotContent, fmt: str, dpi: int = DPI) -> bytes:
        """Image bytes of `content` in `fmt` (one of FORMATS, already checked); PNGs at
        another resolution than DPI take the slower full draw."""
        with house_style():
            self._update(content)
            if fmt == "png" and dpi == DPI:
                return self._png()
            out = io.BytesIO()
            metadata = _VECTOR_METADATA.get(fmt, {"Software": None})
            self._figure.savefig(out, format=fmt, dpi=dpi, metadata=metadata)
            return out.getvalue()

    def _png(self) -> bytes:
        """Agg draw and PNG encode, pasting the legend's pixels from a cache.

        The legend never changes and text is the slowest thing Agg draws, so it is
        drawn once; `_cache_legend` only enables this when the legend's area is
        blank without it, which makes the result identical to a full draw.
        """
        cached = self._cache_legend()
        if cached is None:
            pixels = self._agg_pixels(legend=True)
        else:
            pixels = self._agg_pixels(legend=False)
            rows, cols, block = cached
            pixels[rows, cols] = block
        out = io.BytesIO()
        Image.fromarray(pixels).save(out, format="png", compress_level=PNG_COMPRESS_LEVEL)
        return out.getvalue()

    def _agg_pixels(self, legend: bool) -> np.ndarray:
        """RGB [rows, cols, 3] of a fresh Agg draw (the figure is opaque: alpha is dropped)."""
        self._legend.set_visible(legend)
        try:
            self._canvas.draw()
        finally:
            self._legend.set_visible(True)
        return np.array(self._canvas.buffer_rgba())[:, :, :3]

    def _cache_legend(self) -> tuple[slice, slice, np.ndarray] | None:
        """The legend's pixels for the current target label, drawn once per label."""
        label = self._legend.get_texts()[-1].get_text()
        if label in self._legend_pixels:
            return self._legend_pixels[label]
        self._legend_pixels[label] = None
        with_legend = self._agg_pixels(legend=True)
        box = self._legend.get_window_extent(self._canvas.get_renderer())
        height, width = with_legend.shape[:2]
        # Display y grows upwards, pixel rows downwards; pad for antialiased edges.
        rows = slice(max(0, int(height - box.y1) - 2), min(height, int(height - box.y0) + 3))
        cols = slice(max(0, int(box.x0) - 2), min(width, int(box.x1) + 3))
        background = self._agg_pixels(legend=False)[rows, cols]
        if np.all(background == background[0, 0]):
            self._legend_pixels[label] = (rows, cols, with_legend[rows, cols])
        return self._legend_pixels[label]
