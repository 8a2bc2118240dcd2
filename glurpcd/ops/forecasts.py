"""The forecasting ops: `forecast`, `plot`, `quick_plot`.

Layer: ops. A request names its windows (`index`, `indices` or `at`,
selection.py), obtains their forecasts (cache, or ONE model-lane job for all
the missing windows, so they fill whole model batches) and, for plots, the
images (cache, or one render-lane job that renders the missing ones across the
render pool). It holds at most one attachment at a time, so a disconnect
detaches it from exactly the job it waits on, and that job stops within one
model batch. A freshly parsed upload also queues the forecasts of its newest
windows as background work.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from glurpc_core.errors import ErrorCode, OpError
from glurpc_core.forecast import WindowForecast
from glurpc_core.model.adaptation import Adapter
from glurpc_core.render.sizes import image_bytes_bound
from glurpc_core.render.style import PlotStyle
from glurpc_core.requests.args import optional_str
from glurpc_core.requests.selection import check_combine, check_selection, selected_indices
from glurpc_core.requests.styles import plot_style, window_times
from glurpc_core.requests.wire import forecast_to_wire
from glurpc_core.series import UNITS
from glurpc_wire.framing import DEFAULT_MAX_FRAME
from glurpcd.cache import CacheKey
from glurpcd.engine.lanes import Engine, Lane
from glurpcd.engine.payloads import CpuTask, ForecastPayload, ForecastSetPayload, RenderTask
from glurpcd.lifecycle import JobSpec, Request
from glurpcd.ops.adaptation import Adaptation
from glurpcd.ops.combined import grid_reply, overlay_reply
from glurpcd.ops.data import Resolved, UploadResolver
from glurpcd.ops.results import (
    ResultStore,
    decode_forecast,
    encode_forecast,
    forecast_key,
    image_key,
)

IMAGE_FORMATS = ("png", "svg", "pdf")
REPLY_HEADROOM = 64 * 1024  # a plot reply's fields besides its images

Renderer = Callable[..., "Future[bytes]"]


class ForecastOps:
    def __init__(
        self,
        results: ResultStore,
        engine: Engine,
        uploads: UploadResolver,
        *,
        render: Renderer,
        render_overlay: Renderer | None = None,
        model_id: str,
        precompute_windows: int,
        model_facts: dict[str, Any] | None = None,
        max_reply: int = DEFAULT_MAX_FRAME,
        adapter: Adapter | None = None,
    ) -> None:
        self.results = results
        self.adaptation = Adaptation(results, engine, adapter)
        self.engine = engine
        self.uploads = uploads
        self.render = render
        self.render_overlay = render_overlay  # `combine: "overlay"`; None: not offered
        self.model_id = model_id
        # May change at run time (SIGHUP): read at each upload.
        self.precompute_windows = precompute_windows
        # What every forecast result names: model id, seed, samples.
        self.model_facts = {"model": model_id, **(model_facts or {})}
        self.max_reply = max_reply  # the largest frame the daemon sends

    async def forecast(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        check_selection(args)
        optional_str(args, "units", UNITS)
        resolved = await self.uploads.resolve(request, _upload_args(args))
        unit = _unit(args, resolved)
        indices, several = selected_indices(resolved.prepared.series, args)
        method = self.adaptation.method(args)
        windows = await self.served_windows(request, resolved, indices, method)
        self.precompute_if_fresh(resolved, request.uid)
        facts = {**self.model_facts, "adapt": method, "subject": resolved.upload.get("subject")}
        results = [
            forecast_to_wire(windows[i], resolved.prepared.series, unit, facts) for i in indices
        ]
        # The upload's warnings travel with the numbers drawn from it (docs/PROTOCOL.md).
        common = {"handle": resolved.handle, "warnings": _warnings(resolved)}
        if several:
            return {"forecasts": results, "unit": unit, **common}
        return {**results[0], **common}

    async def plot(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        fmt = optional_str(args, "format", IMAGE_FORMATS, default="png") or "png"
        check_selection(args)
        combine = check_combine(args, fmt)
        resolved = await self.uploads.resolve(request, _upload_args(args))
        indices, several = selected_indices(resolved.prepared.series, args)
        series = resolved.prepared.series
        method = self.adaptation.method(args)
        styles = {
            i: replace(plot_style(args, series, resolved.upload, i, self.model_id), adapt=method)
            for i in indices
        }
        self._check_fits(styles, fmt)
        if combine == "overlay":
            overlay = await self._overlay(request, resolved, styles, fmt, method)
            return {**overlay, **self._facts(resolved, fmt, method)}
        images = await self.images(request, resolved, styles, fmt, method)
        self.precompute_if_fresh(resolved, request.uid)
        entries = [{"image": images[i], "index": i, **window_times(series, i)} for i in indices]
        common = self._facts(resolved, fmt, method)
        if combine is not None:
            return {**await grid_reply(self.engine, request, resolved, entries), **common}
        if several:
            return {"images": entries, **common}
        return {**entries[0], **common}

    def _facts(self, resolved: Resolved, fmt: str, method: str) -> dict[str, Any]:
        """What every plot reply says besides its image(s)."""
        return {
            "format": fmt,
            "handle": resolved.handle,
            "subject": resolved.upload.get("subject"),
            **self.model_facts,  # which model and calibration made the image
            "adapt": method,
            "warnings": _warnings(resolved),
        }

    async def _overlay(
        self,
        request: Request,
        resolved: Resolved,
        styles: dict[int, PlotStyle],
        fmt: str,
        method: str,
    ) -> dict[str, Any]:
        if self.render_overlay is None:
            raise OpError.bad_request("this daemon draws no overlays")
        windows = await self.served_windows(request, resolved, list(styles), method)
        return await overlay_reply(
            self.engine, self.render_overlay, request, resolved, windows, styles, fmt
        )

    def _check_fits(self, styles: dict[int, PlotStyle], fmt: str) -> None:
        """Refuse, before anything is drawn, images that cannot fit one reply."""
        expected = sum(image_bytes_bound(fmt, style.dpi) for style in styles.values())
        if expected <= self.max_reply - REPLY_HEADROOM:
            return
        raise OpError(
            ErrorCode.FRAME_TOO_LARGE,
            f"{len(styles)} {fmt} images would make a reply of about {expected // 2**20} MiB;"
            f" this daemon sends at most {self.max_reply // 2**20} MiB at once: ask for"
            " fewer windows per request or a lower dpi",
            {"reason": "reply_too_large", "estimate": expected, "limit": self.max_reply},
        )

    async def quick_plot(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        if "csv" not in args:
            raise OpError.bad_request("quick_plot needs 'csv'")
        passed = {k: v for k, v in args.items() if k not in ("index", "indices", "at")}
        return await self.plot(request, {**passed, "index": 0})

    async def served_windows(
        self,
        request: Request,
        resolved: Resolved,
        indices: list[int],
        method: str,
        *,
        logged: bool = True,
    ) -> dict[int, WindowForecast]:
        """The network's forecasts of `indices` as served with adaptation `method`."""
        windows = await self.windows(request, resolved, indices, logged=logged)
        state = await self.adaptation.state(request, resolved, method)
        return self.adaptation.serve(windows, resolved.prepared.series, state)

    async def windows(
        self, request: Request, resolved: Resolved, indices: list[int], *, logged: bool = True
    ) -> dict[int, WindowForecast]:
        """Network forecasts of `indices`: cached ones, and one job computing the rest.
        `logged=False` keeps them off the request's log line (an evaluation
        names every window of every source)."""
        if logged:
            request.trace.windows.extend(indices)  # for the request's log line
        # One thread hop for every lookup and decode: thousands of windows
        # (`--all`, `evaluate`) would otherwise pay a hop each.
        found = await asyncio.to_thread(self._cached, resolved.handle, indices)
        missing = tuple(i for i in indices if i not in found)
        if len(missing) == 1:
            found[missing[0]] = await self._window(request, resolved, missing[0])
        elif missing:
            digest = hashlib.sha256(repr(missing).encode()).hexdigest()[:16]
            spec = JobSpec(f"forecasts:{resolved.handle}:{digest}", "forecast", resolved.handle)
            payload = ForecastSetPayload(resolved.prepared.series, missing)
            computed = await self.engine.obtain(
                request,
                spec,
                Lane.MODEL,
                payload,
                store=functools.partial(self._store_set, resolved.handle),
            )
            found.update(computed)
        return found

    def _cached(self, handle: str, indices: list[int]) -> dict[int, WindowForecast]:
        """The cached forecasts among `indices` (in a worker thread)."""
        found = {}
        for index in indices:
            data = self.results.cache.get(forecast_key(handle, index))
            if data is not None:
                found[index] = decode_forecast(data)
        return found

    async def images(
        self,
        request: Request,
        resolved: Resolved,
        styles: dict[int, PlotStyle],
        fmt: str,
        method: str,
    ) -> dict[int, bytes]:
        keys = {
            i: image_key(resolved.handle, i, f"{style.cache_tag()}.{fmt}")
            for i, style in styles.items()
        }
        found: dict[int, bytes] = {}
        for index, key in keys.items():
            cached = await self.results.get(key)
            if cached is not None:
                found[index] = cached
        missing = [i for i in styles if i not in found]
        if not missing:
            return found
        windows = await self.served_windows(request, resolved, missing, method)
        digest = hashlib.sha256(repr((missing, fmt, [keys[i] for i in missing])).encode())
        spec = JobSpec(
            f"images:{resolved.handle}:{digest.hexdigest()[:16]}", "image", resolved.handle
        )

        async def render() -> dict[int, bytes]:
            futures = [
                asyncio.wrap_future(
                    self.render(windows[i], fmt=fmt, model_id=self.model_id, style=styles[i])
                )
                for i in missing
            ]
            return dict(zip(missing, await asyncio.gather(*futures), strict=True))

        def store(rendered: dict[int, bytes]) -> None:
            for index, image in rendered.items():
                self.results.put(keys[index], image)

        found.update(await self.engine.obtain(request, spec, Lane.RENDER, render, store=store))
        return found

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

    def _store_set(self, handle: str, forecasts: dict[int, WindowForecast]) -> None:
        for index, forecast in forecasts.items():
            self.results.put(forecast_key(handle, index), encode_forecast(forecast))

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
    payload: CpuTask | RenderTask | ForecastPayload,
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


def _upload_args(args: dict[str, Any]) -> dict[str, Any]:
    """The args that name the upload (and how it is prepared)."""
    return {k: v for k, v in args.items() if k in ("csv", "handle", "subject", "sequence")}


def _unit(args: dict[str, Any], resolved: Resolved) -> str:
    return optional_str(args, "units", UNITS) or resolved.unit


def _warnings(resolved: Resolved) -> list[dict[str, Any]]:
    return list(resolved.upload.get("warnings", []))
