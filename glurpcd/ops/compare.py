"""Side by side: one plot of several models' forecasts of the same windows.

Layer: ops. `plot` with `model` as a list of 2..4 names obtains each model's
forecasts in turn (each model held resident only while its forecasts are
computed, so a small budget still compares models one at a time), then draws
them on one figure: the first model's median and fans as usual, the others'
beside them in their own colours (render/layout.py). Images are cached per
window under the first model's handle, keyed by every model's id.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol

from glurpc_core.errors import OpError
from glurpc_core.forecast import WindowForecast
from glurpc_core.render.style import MAX_OVERLAYS, PlotStyle
from glurpc_core.requests.styles import plot_style, window_times
from glurpcd.cache import CacheKey
from glurpcd.lifecycle import Request
from glurpcd.models import Models
from glurpcd.ops.data import Resolved, UploadResolver
from glurpcd.ops.results import ResultStore, image_key

MAX_MODELS = 1 + MAX_OVERLAYS


class ForecastSource(Protocol):
    """What a side-by-side plot needs of `ForecastOps`."""

    models: Models
    uploads: UploadResolver
    results: ResultStore
    render: Callable[..., Future[bytes]]

    def check_fits(self, styles: dict[int, PlotStyle], fmt: str) -> None: ...

    adaptation: Any

    async def served_windows(
        self, request: Request, resolved: Resolved, indices: list[int], method: str, model: Any
    ) -> dict[int, WindowForecast]: ...

    async def rendered(
        self,
        request: Request,
        handle: str,
        model_id: str,
        keys: dict[int, CacheKey],
        missing: list[int],
        draw: Callable[[int], Future[bytes]],
    ) -> dict[int, bytes]: ...


def plot_models(args: dict[str, Any]) -> list[str | None]:
    """The models a plot names: [None] (the default), one name, or 2..4 names."""
    value = args.get("model")
    if value is None or isinstance(value, str):
        return [value]
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= MAX_MODELS
        or not all(isinstance(name, str) and name for name in value)
    ):
        raise OpError.bad_request(f"'model' is a model name or a list of 1 to {MAX_MODELS} names")
    if len(set(value)) != len(value):
        raise OpError.bad_request("'model' names a model twice")
    return list(value)


@dataclasses.dataclass(frozen=True)
class _Forecasts:
    name: str
    model_id: str
    served: Resolved  # the series under this model's handle
    windows: dict[int, WindowForecast]
    facts: dict[str, Any]


async def compared_plot(
    ops: ForecastSource,
    request: Request,
    args: dict[str, Any],
    resolved: Resolved,
    names: list[str | None],
    selection: tuple[list[int], bool],
    fmt: str,
) -> dict[str, Any]:
    indices, several = selection
    files = [ops.models.choose(name) for name in names]
    if len({file.model_id for file in files}) != len(files):
        raise OpError.bad_request("'model' names one model twice (by name and by id)")
    method = ops.adaptation.method(args)
    compared: list[_Forecasts] = []
    for file in files:
        async with ops.models.use(request, file) as model:
            served = await ops.uploads.for_model(request, resolved, model.tag)
            windows = await ops.served_windows(request, served, indices, method, model)
            compared.append(_Forecasts(file.name, model.model_id, served, windows, model.facts()))
    first, others = compared[0], compared[1:]
    styles = {
        index: dataclasses.replace(
            plot_style(args, resolved.prepared.series, resolved.upload, index, first.name),
            overlays=tuple((other.name, other.windows[index]) for other in others),
            adapt=method,
        )
        for index in indices
    }
    ops.check_fits(styles, fmt)
    versus = hashlib.sha256("|".join(c.model_id for c in compared).encode()).hexdigest()[:16]
    keys = {
        index: image_key(first.served.handle, index, f"{style.cache_tag()}.vs{versus}.{fmt}")
        for index, style in styles.items()
    }
    images: dict[int, bytes] = {}
    for index, key in keys.items():
        cached = await ops.results.get(key)
        if cached is not None:
            images[index] = cached
    missing = [index for index in indices if index not in images]

    def draw(index: int) -> Future[bytes]:
        forecast = first.windows[index]
        return ops.render(forecast, fmt=fmt, model_id=first.model_id, style=styles[index])

    if missing:
        handle = first.served.handle
        images.update(await ops.rendered(request, handle, first.model_id, keys, missing, draw))
    series = resolved.prepared.series
    entries = [{"image": images[i], "index": i, **window_times(series, i)} for i in indices]
    common = {
        "format": fmt,
        "handle": first.served.handle,
        "subject": resolved.upload.get("subject"),
        **first.facts,
        "adapt": method,
        "models": [{"name": c.name, "handle": c.served.handle, **c.facts} for c in compared],
    }
    if several:
        return {"images": entries, **common}
    return {**entries[0], **common}
