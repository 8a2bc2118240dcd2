"""The forecasting ops: `forecast`, `plot`, `quick_plot`.

Layer: ops. A request first obtains the window's forecast (cache, or the
`forecast` job on the model lane), then, for plots, the image (cache, or the
`image` job on the render lane). It holds at most one attachment at a time,
so a disconnect detaches it from exactly the job it waits on. A freshly
parsed upload also queues the forecasts of its newest windows as background
work.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np

from ..cache import CacheKey
from ..engine import Engine, ForecastPayload, Lane, RenderTask
from ..errors import ErrorCode, OpError
from ..forecast import QUANTILE_LEVELS, WindowForecast
from ..lifecycle import JobSpec, Request
from ..series import INPUT_STEPS, CgmSeries
from .args import optional_int, optional_str
from .data import Resolved, UploadResolver
from .results import ResultStore, decode_forecast, encode_forecast, forecast_key, image_key

IMAGE_FORMATS = ("png", "svg", "pdf")

Renderer = Callable[..., "Future[bytes]"]


class ForecastOps:
    def __init__(
        self,
        results: ResultStore,
        engine: Engine,
        uploads: UploadResolver,
        *,
        render: Renderer,
        model_id: str,
        precompute_windows: int,
    ) -> None:
        self.results = results
        self.engine = engine
        self.uploads = uploads
        self.render = render
        self.model_id = model_id
        self.precompute_windows = precompute_windows

    async def forecast(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        requested = optional_int(args, "index", 0)
        resolved = await self.uploads.resolve(request, args)
        index = _checked_index(resolved.prepared.series, requested)
        window = await self._window(request, resolved, index)
        self.precompute_if_fresh(resolved, request.uid)
        return forecast_to_wire(window)

    async def plot(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        fmt = optional_str(args, "format", IMAGE_FORMATS, default="png") or "png"
        requested = optional_int(args, "index", 0)
        resolved = await self.uploads.resolve(request, args)
        index = _checked_index(resolved.prepared.series, requested)
        image = await self._image(request, resolved, index, fmt)
        self.precompute_if_fresh(resolved, request.uid)
        series = resolved.prepared.series
        start = series.input_start(index)
        return {
            "image": image,
            "format": fmt,
            "handle": resolved.handle,
            "index": index,
            "window_start": _iso(series.times[start]),
            # The last observed reading, where the median is anchored.
            "forecast_start": _iso(series.times[start + INPUT_STEPS - 1]),
        }

    async def quick_plot(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        if "csv" not in args:
            raise OpError.bad_request("quick_plot needs 'csv'")
        data = await self.plot(
            request, {"csv": args["csv"], "format": args.get("format", "png"), "index": 0}
        )
        prepared = await self.uploads.load(data["handle"])
        data["warnings"] = [w.to_wire() for w in prepared.warnings] if prepared else []
        return data

    async def _window(self, request: Request, resolved: Resolved, index: int) -> WindowForecast:
        spec = JobSpec(f"forecast:{resolved.handle}:{index}", "forecast", resolved.handle, index)
        return await cached_or_computed(
            self.results,
            self.engine,
            request,
            spec,
            key=forecast_key(resolved.handle, index),
            lane=Lane.MODEL,
            payload=ForecastPayload(resolved.prepared.series, index),
            encode=encode_forecast,
            decode=decode_forecast,
        )

    async def _image(self, request: Request, resolved: Resolved, index: int, fmt: str) -> bytes:
        key = image_key(resolved.handle, index, fmt)
        cached = await self.results.get(key)
        if cached is not None:
            return cached
        window = await self._window(request, resolved, index)
        spec = JobSpec(f"image:{resolved.handle}:{index}:{fmt}", "image", resolved.handle, index)

        def render() -> asyncio.Future[bytes]:
            return asyncio.wrap_future(self.render(window, fmt=fmt, model_id=self.model_id))

        return await cached_or_computed(
            self.results,
            self.engine,
            request,
            spec,
            key=key,
            lane=Lane.RENDER,
            payload=render,
            encode=bytes,
            decode=bytes,
        )

    def precompute_if_fresh(self, resolved: Resolved, uid: int | None) -> None:
        """Newest windows first, lowest priority, skipping what is cached;
        within the engine's bound on background work (per `uid` and in all)."""
        if not resolved.fresh:
            return
        series = resolved.prepared.series
        keys = {
            -offset: forecast_key(resolved.handle, -offset)
            for offset in range(min(series.windows, self.precompute_windows))
        }
        missing = [index for index, key in keys.items() if not self.results.cache.contains(key)]
        for index in missing[: self.engine.background.room_for(uid, len(missing))]:
            spec = JobSpec(
                f"forecast:{resolved.handle}:{index}", "forecast", resolved.handle, index
            )
            self.engine.schedule_background(
                spec,
                ForecastPayload(series, index),
                store=functools.partial(self._store, keys[index]),
                upload=resolved.handle,
                uid=uid,
            )

    def _store(self, key: CacheKey, forecast: WindowForecast) -> None:
        self.results.put(key, encode_forecast(forecast))


async def cached_or_computed(
    results: ResultStore,
    engine: Engine,
    request: Request,
    spec: JobSpec,
    *,
    key: CacheKey,
    lane: Lane,
    payload: RenderTask | ForecastPayload,
    encode: Callable[[Any], bytes],
    decode: Callable[[bytes], Any],
) -> Any:
    """The cached value, or the result of the job computing it (stored on
    arrival). `lookup` returns a miss in the same loop step as the attach
    inside `obtain`, so a result landing in between is never lost."""
    cached = await results.lookup(key)
    if cached is not None:
        return decode(cached)
    return await engine.obtain(
        request, spec, lane, payload, store=lambda result: results.put(key, encode(result))
    )


def _checked_index(series: CgmSeries, index: int) -> int:
    low, high = series.index_range()
    if series.windows == 0 or not low <= index <= high:
        raise OpError(
            ErrorCode.INDEX_OUT_OF_RANGE,
            f"index {index} is outside {low}..{high} for this series of {series.windows} windows",
            {"samples": series.windows, "min": low, "max": high, "index": index},
        )
    return index


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="s"))


def _floats(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), 3) for v in values]


def forecast_to_wire(window: WindowForecast) -> dict[str, Any]:
    return {
        "index": window.index,
        "times": [_iso(t) for t in window.future_times],
        "history_times": [_iso(t) for t in window.history_times],
        "history": _floats(window.history),
        "truth": _floats(window.truth),
        "median": _floats(window.median),
        "quantiles": {
            f"{level:g}": _floats(row)
            for level, row in zip(QUANTILE_LEVELS, window.quantiles, strict=True)
        },
        "unit": "mg/dL",
    }
