"""Several windows in one image: each tile is the window's own plot, pixel for pixel."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from glurpc_core.render import render_forecast
from glurpc_core.render.grid import MAX_GRID_WINDOWS, grid_png
from glurpc_core.render.style import PlotStyle
from tests.render.forecasts import make_forecast

SMALL = PlotStyle(history_hours=1.0, dpi=50)  # 500 x 300: a quick tile


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB"))


def test_a_grid_of_four_is_two_rows_of_the_single_plots():
    singles = [
        render_forecast(make_forecast(seed=seed), model_id="m", style=SMALL) for seed in range(4)
    ]
    grid = pixels(grid_png(singles))
    assert grid.shape == (2 * 300, 3 * 500, 3)
    for position, single in enumerate(singles):
        row, column = divmod(position, 3)
        tile = grid[row * 300 : (row + 1) * 300, column * 500 : (column + 1) * 500]
        np.testing.assert_array_equal(tile, pixels(single))
    assert np.all(grid[300:, 1000:] == 255)  # the empty cell stays white


def test_a_grid_refuses_what_it_cannot_tile():
    one = render_forecast(make_forecast(seed=1), model_id="m", style=SMALL)
    other = render_forecast(make_forecast(seed=1), model_id="m", style=PlotStyle(dpi=60))
    with pytest.raises(ValueError, match="one size"):
        grid_png([one, other])
    with pytest.raises(ValueError, match="1..12"):
        grid_png([one] * (MAX_GRID_WINDOWS + 1))
