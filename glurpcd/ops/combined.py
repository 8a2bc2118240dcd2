"""Several windows in one image (`plot` with `combine`): a grid or an overlay.

Layer: ops. A grid tiles the windows' own images (rendered or cached as for any
plot) in a cpu-lane thread; an overlay draws their forecasts on one axis in the
render pool. Each is one job keyed by the windows and format, so identical
requests share it; neither result is cached (the tiles and forecasts are).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from glurpc_core.forecast import WindowForecast
from glurpc_core.render.grid import grid_png
from glurpc_core.render.style import PlotStyle
from glurpc_core.requests.styles import window_times
from glurpcd.engine.lanes import Engine, Lane
from glurpcd.lifecycle import JobSpec, Request
from glurpcd.ops.data import Resolved

# RenderPool.submit_overlay: (forecasts, styles, *, fmt) -> a future of the image
OverlayRenderer = Callable[..., "Future[bytes]"]


async def grid_reply(
    engine: Engine, request: Request, resolved: Resolved, entries: list[dict[str, Any]]
) -> dict[str, Any]:
    """The windows' images (`entries` of a plot reply) as one PNG grid."""
    indices = [entry["index"] for entry in entries]
    tiles = [entry["image"] for entry in entries]
    # Keyed by the tiles themselves: the same windows in another unit, dpi or
    # adaptation are another grid.
    hasher = hashlib.sha256()
    for tile in tiles:
        hasher.update(hashlib.sha256(tile).digest())
    spec = JobSpec(f"grid:{resolved.handle}:{hasher.hexdigest()[:16]}", "image", resolved.handle)
    image = await engine.obtain(request, spec, Lane.CPU, functools.partial(grid_png, tiles))
    return {
        "image": image,
        "indices": indices,
        "windows": [{k: v for k, v in entry.items() if k != "image"} for entry in entries],
    }


async def overlay_reply(
    engine: Engine,
    draw: OverlayRenderer,
    request: Request,
    resolved: Resolved,
    windows: dict[int, WindowForecast],
    styles: dict[int, PlotStyle],
    fmt: str,
) -> dict[str, Any]:
    """The windows' forecasts on one axis, drawn by the render pool."""
    indices = list(styles)
    tags = [style.cache_tag() for style in styles.values()]  # every option that changes it
    digest = hashlib.sha256(repr((indices, fmt, tags)).encode()).hexdigest()[:16]
    spec = JobSpec(f"overlay:{resolved.handle}:{digest}", "image", resolved.handle)

    async def render() -> bytes:
        chosen = [windows[i] for i in indices]
        image: bytes = await asyncio.wrap_future(draw(chosen, list(styles.values()), fmt=fmt))
        return image

    image = await engine.obtain(request, spec, Lane.RENDER, render)
    series = resolved.prepared.series
    times = [{"index": i, **window_times(series, i)} for i in indices]
    return {"image": image, "indices": indices, "windows": times}
