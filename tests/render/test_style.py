"""Plot options and marks: units, history span, hollow and clipped points, whole fans,
SVG text, resolution (pure render, no daemon)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from glurpc_core.render.layout import plot_content
from glurpc_core.render.plot import render_forecast
from glurpc_core.render.style import PlotStyle
from tests.render.forecasts import make_forecast


def test_marks_follow_the_history_shown() -> None:
    imputed = np.zeros(96, dtype=bool)
    imputed[[90, 94]] = True
    clipped = np.zeros(96, dtype=bool)
    clipped[95] = True
    style = PlotStyle(history_hours=1.0, imputed=imputed, clipped=clipped)
    content = plot_content(make_forecast(seed=3), "m", style)
    shown = content.observed_minutes <= 0
    assert shown.sum() == 13  # an hour of history: 12 steps back and the forecast start
    assert list(np.flatnonzero(content.hollow)) == [13 - 1 - 5, 13 - 1 - 1]
    assert list(np.flatnonzero(content.clipped)) == [12]


def test_the_whole_history_and_mmol_by_default_units() -> None:
    forecast = make_forecast(seed=3)
    content = plot_content(forecast, "m", PlotStyle(unit="mmol/L"))
    assert content.observed_minutes[0] == -475.0  # the model's whole 8-hour input
    np.testing.assert_allclose(content.observed[0], forecast.history[0] / 18.0182, rtol=1e-6)
    assert content.target_range == pytest.approx((70 / 18.0182, 180 / 18.0182))


def test_a_wide_fan_is_never_cut_by_the_axis() -> None:
    wide = replace(make_forecast(seed=3), sample_stds=np.full(10, 80.0, dtype=np.float32))
    content = plot_content(wide, "m", PlotStyle())
    low, high = content.y_limits
    for fan in content.fans:
        assert low < fan[:, 1].min() and fan[:, 1].max() < high


def test_svg_keeps_text_as_text_and_png_takes_a_dpi() -> None:
    style = PlotStyle(title="P07, day 3", unit="mmol/L", label="index 3 (3 before the latest)")
    svg = render_forecast(make_forecast(seed=3), fmt="svg", model_id="m", style=style)
    texts = "".join(
        node.text or "" for node in ET.fromstring(svg).iter() if node.tag.endswith("text")
    )
    assert "P07, day 3" in texts and "Glucose (mmol/L)" in texts and "3 before the latest" in texts
    png = render_forecast(make_forecast(seed=3), model_id="m", style=PlotStyle(dpi=200))
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (2000, 1200)
