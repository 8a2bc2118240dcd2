"""The figure comparing models (`evaluate` with a `model` list): it decodes at
its size, names every model, gives the same bytes for the same comparison,
and draws a single source's comparison, which has no intervals."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from glurpc_core.evaluation.compare import compare
from glurpc_core.render.evaluation_compare import DPI, FIGURE_INCHES, render_comparison
from glurpc_core.render.inputs import RenderError
from tests.evaluation.test_assess import source
from tests.evaluation.test_compare import shifted

NAMES = ["alpha", "beta", "gamma"]


def compared(sources: int) -> dict[str, Any]:
    """The daemon's reply shape: each model's report with its name, and the differences."""
    first = [source(f"s{k}", k, 300) for k in range(1, sources + 1)]
    models = [first, *([shifted(one, offset) for one in first] for offset in (4.0, -9.0))]
    result = compare(NAMES, models, draws=100)
    reports = [{"name": name, **one} for name, one in zip(NAMES, result["reports"], strict=True)]
    return {"models": reports, "differences": result["differences"]}


@pytest.fixture(scope="module")
def two_sources() -> dict[str, Any]:
    return compared(2)


def test_png_decodes_at_the_figure_size(two_sources):
    png = render_comparison(two_sources, "png")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (FIGURE_INCHES[0] * DPI, FIGURE_INCHES[1] * DPI)
    assert png == render_comparison(two_sources, "png"), "the same comparison, the same bytes"


def test_svg_names_every_model_and_pdf_is_a_pdf(two_sources):
    svg = render_comparison(two_sources, "svg").decode()
    assert "models: alpha, beta, gamma" in svg  # the title
    assert "RMSE minus alpha" in svg and "negative: better than alpha" in svg
    for name in NAMES:
        assert f"{name}, 90 % band" in svg  # the coverage panel's legend
    assert render_comparison(two_sources, "pdf").startswith(b"%PDF")


def test_one_source_draws_without_intervals():
    one = compared(1)
    assert one["differences"][0]["rmse_ci"] is None
    with Image.open(io.BytesIO(render_comparison(one, "png"))) as image:
        image.load()
    assert "1 source(s)" in render_comparison(one, "svg").decode()


def test_an_unknown_format_is_a_bad_request(two_sources):
    with pytest.raises(RenderError, match="unknown image format"):
        render_comparison(two_sources, "gif")
