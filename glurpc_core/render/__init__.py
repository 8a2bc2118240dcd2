"""Forecast rendering (pure compute): matplotlib Agg plots of a WindowForecast.

`render_forecast` draws in the calling thread; the daemon's render pool
(glurpcd/engine/render_pool.py) runs `worker.py` in spawned processes, each
reusing one prepared figure. Nothing here imports asyncio or torch.
"""

from glurpc_core.render.inputs import FORMATS, RenderError
from glurpc_core.render.plot import render_forecast

__all__ = ["FORMATS", "RenderError", "render_forecast"]
