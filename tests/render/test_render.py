"""Rendered images: decoded pixels, vector formats, determinism, the golden image."""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from glurpc_core.render import RenderError, render_forecast
from glurpc_core.render.figure import DPI, MEDIAN_RGB, OBSERVED_RGB, ForecastFigure, house_style
from glurpc_core.render.layout import plot_content
from glurpc_core.render.style import PlotStyle
from tests.render.forecasts import make_forecast

ONE_HOUR = PlotStyle(history_hours=1.0)  # the layout these pixel checks expect

GOLDEN = Path(__file__).parent / "golden" / "forecast_seed3_index4.png"
# Plot area in pixels (axes at 0.075..0.98 x 0.17..0.88 of 1000 x 600) and the
# column of the forecast start, the middle of the -62.5..62.5 minute x range.
PLOT_ROWS = slice(72, 498)
PLOT_COLS = slice(76, 979)
START_COL = 527


def decode(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB")).astype(np.int16)


def colour_mask(pixels: np.ndarray, rgb: tuple[float, float, float]) -> np.ndarray:
    target = np.round(np.asarray(rgb) * 255).astype(np.int16)
    return np.all(np.abs(pixels - target) <= 12, axis=-1)


def test_png_has_the_size_and_the_colours_of_the_plot():
    pixels = decode(render_forecast(make_forecast(seed=3), model_id="m", style=ONE_HOUR))
    assert pixels.shape == (600, 1000, 3)
    plot = pixels[PLOT_ROWS, PLOT_COLS]
    median = colour_mask(plot, MEDIAN_RGB)
    observed = colour_mask(plot, OBSERVED_RGB)
    start = START_COL - PLOT_COLS.start
    assert median.sum() > 300
    assert not median[:, : start - 4].any()  # the median lives in the forecast hour only
    assert observed[:, :start].sum() > 300  # last hour of history
    assert observed[:, start + 8 :].sum() > 100  # the true next hour


def test_no_truth_is_drawn_past_the_end_of_the_data():
    pixels = decode(render_forecast(make_forecast(seed=3, index=12), model_id="m", style=ONE_HOUR))
    observed = colour_mask(pixels[PLOT_ROWS, PLOT_COLS], OBSERVED_RGB)
    assert observed[:, : START_COL - PLOT_COLS.start].sum() > 300
    assert not observed[:, START_COL - PLOT_COLS.start + 8 :].any()


def test_svg_parses_and_pdf_is_a_pdf():
    forecast = make_forecast(seed=3)
    root = ET.fromstring(render_forecast(forecast, fmt="svg", model_id="m", style=ONE_HOUR))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    pdf = render_forecast(forecast, fmt="pdf", model_id="m", style=ONE_HOUR)
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_same_forecast_gives_the_same_bytes(fmt):
    forecast = make_forecast(seed=5, index=2)
    first = render_forecast(forecast, fmt=fmt, model_id="m", style=ONE_HOUR)
    assert render_forecast(forecast, fmt=fmt, model_id="m", style=ONE_HOUR) == first
    assert b"Date" not in first if fmt == "svg" else True


def test_a_reused_figure_keeps_nothing_from_earlier_plots():
    one, other = make_forecast(seed=1), make_forecast(seed=2, index=12)
    fresh = render_forecast(one, model_id="m", style=ONE_HOUR)
    figure = ForecastFigure()
    for fmt in ("png", "svg", "pdf"):
        render_forecast(other, fmt=fmt, model_id="other-model", figure=figure, style=ONE_HOUR)
    assert render_forecast(one, model_id="m", figure=figure, style=ONE_HOUR) == fresh


def test_cached_legend_pixels_equal_a_full_draw():
    figure = ForecastFigure()
    forecast = make_forecast(seed=4)
    ours = decode(render_forecast(forecast, model_id="m", figure=figure, style=ONE_HOUR))
    full = io.BytesIO()
    with house_style():
        figure._update(plot_content(forecast, "m", ONE_HOUR))
        figure._figure.savefig(full, format="png", dpi=DPI)
    np.testing.assert_array_equal(ours, decode(full.getvalue()))


def test_unknown_format_is_a_bad_request():
    with pytest.raises(RenderError) as info:
        render_forecast(make_forecast(), fmt="jpeg", model_id="m", style=ONE_HOUR)
    assert info.value.code == "bad_request"


def test_golden_image():
    png = render_forecast(
        make_forecast(seed=3, index=4), model_id="gluformer-golden", style=ONE_HOUR
    )
    if os.environ.get("GLURPC_UPDATE_GOLDEN"):
        Image.open(io.BytesIO(png)).save(GOLDEN, optimize=True)
    expected = decode(GOLDEN.read_bytes())
    difference = np.abs(decode(png) - expected).max(axis=-1)
    # Tolerance for other FreeType/zlib builds: antialiased edges may move a little,
    # content may not (the median line alone covers ~0.25% of the pixels).
    assert difference.mean() < 0.5
    assert (difference > 40).mean() < 0.0005


def test_mmol_plots_name_the_band_in_mmol():
    style = PlotStyle(history_hours=1.0, unit="mmol/L")
    svg = render_forecast(make_forecast(seed=3), fmt="svg", model_id="m", style=style).decode()
    assert "target 3.9-10.0 mmol/L" in svg and "mg/dL" not in svg


@pytest.mark.parametrize("unit", ["mg/dL", "mmol/L"])
def test_cached_legend_pixels_equal_a_full_draw_in_each_unit(unit):
    figure = ForecastFigure()
    style = PlotStyle(history_hours=1.0, unit=unit)
    render_forecast(make_forecast(seed=1), model_id="m", figure=figure)  # caches mg/dL first
    forecast = make_forecast(seed=4)
    ours = decode(render_forecast(forecast, model_id="m", figure=figure, style=style))
    full = io.BytesIO()
    with house_style():
        figure._update(plot_content(forecast, "m", style))
        figure._figure.savefig(full, format="png", dpi=DPI)
    np.testing.assert_array_equal(ours, decode(full.getvalue()))


def test_a_long_subtitle_ends_inside_the_image():
    # A long subject id and model name (the 5-subject and Hall tables) made the
    # subtitle run past the right edge, cut mid-word.
    style = PlotStyle(
        history_hours=1.0,
        subject="Hall2018-2133-033-participant",
        model_id="gluformer_default-7c71c910e1a4-calibrated",
        label="3 before the latest",
    )
    pixels = decode(render_forecast(make_forecast(seed=3), model_id="m", style=style))
    subtitle_rows = slice(40, 70)  # the subtitle's line, above the axes (row 72)
    right_margin = pixels[subtitle_rows, 990:]
    assert np.all(right_margin >= 250), "the subtitle reaches the image's right edge"
    # ... and it is still drawn: text left of the margin.
    assert np.any(pixels[subtitle_rows, 100:900] < 128)
