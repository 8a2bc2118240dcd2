"""One forecast to image bytes, in the calling thread (pure compute: no asyncio, no torch).

The entry point for inline rendering and for the render worker processes, which
pass their prepared `ForecastFigure`; without one a fresh figure is built (about
twice the cost of a plot on a prepared figure). It swaps matplotlib's global
settings for the duration of a plot, so threads must not call it concurrently:
they share a `RenderPool` instead.
"""

from __future__ import annotations

from glurpc_core.forecast import WindowForecast
from glurpc_core.render.figure import ForecastFigure
from glurpc_core.render.inputs import check_forecast, check_format
from glurpc_core.render.layout import plot_content
from glurpc_core.render.style import PlotStyle


def render_forecast(
    forecast: WindowForecast,
    *,
    fmt: str = "png",
    model_id: str,
    figure: ForecastFigure | None = None,
    style: PlotStyle | None = None,
) -> bytes:
    """The plot of `forecast` as PNG, SVG or PDF bytes; the same input gives the same bytes.

    Raises `RenderError` (`bad_request` for an unknown format, `invalid_data` for
    arrays that cannot make a plot).
    """
    fmt = check_format(fmt)
    check_forecast(forecast)
    style = style or PlotStyle(model_id=str(model_id))
    content = plot_content(forecast, str(model_id), style)
    return (figure or ForecastFigure()).render(content, fmt, dpi=style.dpi)
