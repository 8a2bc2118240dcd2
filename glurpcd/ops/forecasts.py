"""The forecasting ops: `forecast`, `plot`, `quick_plot`.

Layer: ops. A request names its windows (`index`, `indices` or `at`,
selection.py) and its model (`model`, the daemon's default when absent; held
resident for the request, models/resident.py), obtains their forecasts (cache,
or ONE model-lane job for all the missing windows, so they fill whole model
batches) and, for plots, the images (cache, or one render-lane job that renders
the missing ones across the render pool). It holds at most one attachment at a
time, so a disconnect detaches it from exactly the job it waits on, and that
job stops within one model batch. A freshly parsed upload also queues the
forecasts of its newest windows as background work, with the default model
only.
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
from glurpcd.models import ModelFile, Models
from glurpcd.ops.adaptation import Adaptation
from glurpcd.ops.combined import grid_reply, overlay_reply
from glurpcd.ops.compare import compared_plot, plot_models
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
        models: Models,
        *,
        render: Renderer,
        render_overlay: Renderer | None = None,
        precompute_windows: int,
        max_reply: int = DEFAULT_MAX_FRAME,
        adapter: Adapter | None = None,
    ) -> None:
        self.results = results
        self.adaptation = Adaptation(results, engine, adapter)
        self.engine = engine
        self.uploads = uploads
        self.models = models
        self.render = render
        self.render_overlay = render_overlay  # `combine: "overlay"`; None: not offered
        # May change at run time (SIGHUP): read at each upload.
        self.precompute_windows = precompute_windows
        self.max_reply = max_reply  # the largest frame the daemon sends

    async def forecast(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        check_selection(args)
        optional_str(args, "units", UNITS)
        if isinstance(args.get("model"), list):
            raise OpError.bad_request("'model' of a forecast names one model")
        resolved = await self.uploads.resolve(request, _upload_args(args))
        unit = _unit(args, resolved)
        indices, several = selected_indices(resolved.prepared.series, args)
        method = self.adaptation.method(args)
        file = await self._chosen(args, resolved)
        async with self.models.use(request, file) as model:
            served = await self.uploads.for_model(request, resolved, model.tag)
            windows = await self.served_windows(request, served, indices, method, model)
            facts = {**model.facts(), "adapt": method, "subject": resolved.upload.get("subject")}
        self.precompute_if_fresh(resolved, request.uid)
        results = [
            forecast_to_wire(windows[i], resolved.prepared.series, unit, facts) for i in indices
        ]
        # The upload's warnings travel with the numbers drawn from it (docs/PROTOCOL.md).
        common = {"handle": served.handle, "warnings": _warnings(resolved)}
        if several:
            return {"forecasts": results, "unit": unit, **common}
        return {**results[0], **common}

    async def plot(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        fmt = optional_str(args, "format", IMAGE_FORMATS, default="png") or "png"
        check_selection(args)
        combine = check_combine(args, fmt)
        names = plot_models(args)
        resolved = await self.uploads.resolve(request, _upload_args(args))
        indices, several = selected_indices(resolved.prepared.series, args)
        method = self.adaptation.method(args)
        if len(names) > 1:
            if combine is not None:
                raise OpError.bad_request("'combine' draws the windows of one model: name one")
            selection = (indices, several)
            return await compared_plot(self, request, args, resolved, names, selection, fmt)
        file = await self._chosen({**args, "model": names[0]}, resolved)
        series = resolved.prepared.series
        async with self.models.use(request, file) as model:
            served = await self.uploads.for_model(request, resolved, model.tag)
            styles = {
                i: replace(plot_style(args, series, served.upload, i, model.model_id), adapt=method)
                for i in indices
            }
            self.check_fits(styles, fmt)
            common = self._facts(served, fmt, method, model.facts())
            if combine == "overlay":
                return {
                    **await self._overlay(request, served, styles, fmt, method, model),
                    **common,
                }
            images = await self.images(request, served, styles, fmt, model, method)
        self.precompute_if_fresh(resolved, request.uid)
        entries = [{"image": images[i], "index": i, **window_times(series, i)} for i in indices]
        if combine is not None:
            return {**await grid_reply(self.engine, request, served, entries), **common}
        if several:
            return {"images": entries, **common}
        return {**entries[0], **common}

    def _facts(
        self, served: Resolved, fmt: str, method: str, model_facts: dict[str, Any]
    ) -> dict[str, Any]:
        """What every plot reply says besides its image(s)."""
        return {
            "format": fmt,
            "handle": served.handle,
            "subject": served.upload.get("subject"),
            **model_facts,  # which model and calibration made the image
            "adapt": method,
            "warnings": _warnings(served),
        }

    async def _overlay(
        self,
        request: Request,
        served: Resolved,
        styles: dict[int, PlotStyle],
        fmt: str,
        method: str,
        model: Any,
    ) -> dict[str, Any]:
        if self.render_overlay is None:
            raise OpError.bad_request("this daemon draws no overlays")
        windows = await self.served_windows(request, served, list(styles), method, model)
        return await overlay_reply(
            self.engine, self.render_overlay, request, served, windows, styles, fmt
        )

    async def _chosen(self, args: dict[str, Any], resolved: Resolved) -> ModelFile:
        """The model a request names; a handle made for a model (`for_model`)
        keeps it when the request names none."""
        name = args.get("model")
        if name is None and "handle" in args:
            tag = await self.uploads.model_of(resolved.handle)
            if tag is not None:
                name = tag.partition("|")[0]
        return self.models.choose(name)

    def check_fits(self, styles: dict[int, PlotStyle], fmt: str) -> None:
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
        model: Any,
        *,
        logged: bool = True,
    ) -> dict[int, WindowForecast]:
        """`model`'s forecasts of `indices` as served with adaptation `method`
        (`resolved` holds that model's handle)."""
        windows = await self.windows(request, resolved, indices, model, logged=logged)
        state = await self.adaptation.state(request, resolved, method)
        return self.adaptation.serve(windows, resolved.prepared.series, state)

    async def windows(
        self,
        request: Request,
        resolved: Resolved,
        indices: list[int],
        model: Any,
        *,
        logged: bool = True,
    ) -> dict[int, WindowForecast]:
        """Forecasts of `indices` by `model` (`resolved` holds that model's
        handle): cached ones, and one job computing the rest. `logged=False`
        keeps them off the request's log line (an evaluation names every
        window of every source)."""
        if logged:
            request.trace.windows.extend(indices)  # for the request's log line
        # One thread hop for every lookup and decode: thousands of windows
        # (`--all`, `evaluate`) would otherwise pay a hop each.
        found = await asyncio.to_thread(self._cached, resolved.handle, indices)
        missing = tuple(i for i in indices if i not in found)
        if len(missing) == 1:
            found[missing[0]] = await self._window(request, resolved, missing[0], model)
        elif missing:
            digest = hashlib.sha256(repr(missing).encode()).hexdigest()[:16]
            spec = JobSpec(
                f"forecasts:{model.model_id}:{resolved.handle}:{digest}",
                "forecast",
                resolved.handle,
                model=model.model_id,
            )
            payload = ForecastSetPayload(resolved.prepared.series, missing, self._payload(model))
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
        model: Any,
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
        windows = await self.served_windows(request, resolved, missing, method, model)

        def draw(index: int) -> Future[bytes]:
            return self.render(
                windows[index], fmt=fmt, model_id=model.model_id, style=styles[index]
            )

        drawn = await self.rendered(request, resolved.handle, model.model_id, keys, missing, draw)
        found.update(drawn)
        return found

    async def rendered(
        self,
        request: Request,
        handle: str,
        model_id: str,
        keys: dict[int, CacheKey],
        missing: list[int],
        draw: Callable[[int], Future[bytes]],
    ) -> dict[int, bytes]:
        """One render-lane job drawing the `missing` images, stored under `keys`."""
        digest = hashlib.sha256(repr((missing, [keys[i] for i in missing])).encode())
        spec = JobSpec(
            f"images:{model_id}:{handle}:{digest.hexdigest()[:16]}",
            "image",
            handle,
            model=model_id,
        )

        async def render() -> dict[int, bytes]:
            futures = [asyncio.wrap_future(draw(i)) for i in missing]
            return dict(zip(missing, await asyncio.gather(*futures), strict=True))

        def store(rendered: dict[int, bytes]) -> None:
            for index, image in rendered.items():
                self.results.put(keys[index], image)

        drawn: dict[int, bytes] = await self.engine.obtain(
            request, spec, Lane.RENDER, render, store=store
        )
        return drawn

    async def _window(
        self, request: Request, resolved: Resolved, index: int, model: Any
    ) -> WindowForecast:
        return await cached_or_computed(
            self.results,
            self.engine,
            request,
            forecast_spec(model.model_id, resolved.handle, index),
            key=forecast_key(resolved.handle, index),
            lane=Lane.MODEL,
            payload=ForecastPayload(resolved.prepared.series, index, self._payload(model)),
            encode=encode_forecast,
            decode=decode_forecast,
        )

    def _payload(self, model: Any) -> Any:
        """The model a payload carries: None for the engine's own (the default)."""
        return None if model is self.models.default.forecaster else model

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
        default = self.models.default.file.model_id  # background work: the default only
        for index in missing[: self.engine.background.room_for(uid, len(missing))]:
            self.engine.schedule_background(
                forecast_spec(default, resolved.handle, index),
                ForecastPayload(series, index),
                store=functools.partial(self._store, keys[index]),
                upload=resolved.handle,
                uid=uid,
            )

    def _store(self, key: CacheKey, forecast: WindowForecast) -> None:
        self.results.put(key, encode_forecast(forecast))


def forecast_spec(model_id: str, handle: str, index: int) -> JobSpec:
    """One window's forecast job: interactive and background work on the same
    window of the same model share this key, so they coalesce."""
    return JobSpec(f"forecast:{model_id}:{handle}:{index}", "forecast", handle, index, model_id)


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
