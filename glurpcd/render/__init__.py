"""Forecast rendering (pure compute): matplotlib Agg plots of a WindowForecast.

`render_forecast` draws in the calling thread; `RenderPool` draws in spawned
worker processes, each reusing one prepared figure. Nothing here imports
asyncio or torch.
"""

from glurpcd.render.inputs import FORMATS, RenderError
from glurpcd.render.plot import render_forecast
from glurpcd.render.pool import RenderPool

__all__ = ["FORMATS", "RenderError", "RenderPool", "render_forecast"]
