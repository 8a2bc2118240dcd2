"""A client's title and a file's subject ids are text, never markup: drawn as
they are, and what a render warns about them reaches the daemon's log through
its formatter, under the ids of the requests served."""

from __future__ import annotations

import io
import json
import logging

import pytest
from PIL import Image

from glurpc_core.render import render_forecast
from glurpc_core.render.style import PlotStyle
from glurpcd.engine.render_pool import RenderPool
from glurpcd.observe.logcontext import serving
from glurpcd.observe.logsetup import JsonFormatter, RequestContext
from tests.render.forecasts import make_forecast

FORGED = "$\r2026-12-05 10:00:00 INFO glurpcd.request: request_id=424242 op=plot$"
NESTED = "$" + "{" * 95 + "}" * 95 + "$"  # mathtext recursion: 220 KB of traceback each


@pytest.mark.parametrize(
    "style",
    [
        PlotStyle(title=FORGED),
        PlotStyle(title=NESTED),
        PlotStyle(title="$x^{$", subject="$x^{$"),
    ],
)
@pytest.mark.filterwarnings("ignore:Glyph 13")  # the carriage return has no glyph: drawn as a box
def test_dollar_signs_are_drawn_as_text(style: PlotStyle) -> None:
    image = Image.open(
        io.BytesIO(render_forecast(make_forecast(seed=2), model_id="m", style=style))
    )
    assert image.format == "PNG" and image.size == (1000, 600)


@pytest.mark.integration
def test_a_workers_warnings_are_logged_by_the_daemon_with_the_request_id() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(stamp=False))
    handler.addFilter(RequestContext())
    logger = logging.getLogger("glurpcd.render")
    logger.addHandler(handler)
    try:
        with RenderPool(workers=1) as pool:
            with serving([31]):
                future = pool.submit(
                    make_forecast(seed=4), fmt="png", model_id="m", style=PlotStyle(title="\x1b[2J")
                )
            assert future.result(timeout=120)[:4] == b"\x89PNG"
    finally:
        logger.removeHandler(handler)
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entries, "the missing glyph's warning never reached the daemon's log"
    assert all(entry["request_id"] == 31 for entry in entries)
    assert any("Glyph 27" in entry["message"] for entry in entries)
