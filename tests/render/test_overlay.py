"""Several windows on one axis: each window in its own colour, the same bytes each time."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
from PIL import Image

from glurpc_core.render.overlay import COLOURS, render_overlay
from glurpc_core.render.style import PlotStyle
from tests.render.forecasts import make_forecast


def test_each_window_is_drawn_in_its_own_colour_and_named():
    forecasts = [make_forecast(seed=seed, index=-seed) for seed in range(3)]
    styles = [PlotStyle(history_hours=1.0, label=f"{n} before the latest") for n in range(3)]
    png = render_overlay(forecasts, styles, "png")
    assert render_overlay(forecasts, styles, "png") == png
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1000, 600)
        pixels = np.asarray(image.convert("RGB")).astype(np.int16)
    for colour in COLOURS[:3]:
        target = np.round(np.asarray(colour) * 255).astype(np.int16)
        assert (np.abs(pixels - target).max(axis=-1) <= 12).sum() > 200, colour
    svg = render_overlay(forecasts, styles, "svg").decode()
    ET.fromstring(svg)
    for n in range(3):
        assert f"{n} before the latest: from" in svg
    mmol = render_overlay(forecasts, [PlotStyle(unit="mmol/L")] * 3, "svg").decode()
    assert "Glucose (mmol/L)" in mmol and "target 3.9-10.0 mmol/L" in mmol
