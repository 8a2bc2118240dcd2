"""The `evaluate` op: how good the served forecast is on the caller's own files.

Layer: ops. For each source (an upload or handle, optionally one subject of a
table) it obtains the forecasts of every window with a known next hour through
the bulk path `forecast` uses (`ForecastOps.served_windows`: cached windows,
one model-lane job for the rest, then the personal adaptation asked for in
`adapt`, the default as served), keeps the few arrays scoring needs, then attaches
to ONE cpu-lane `evaluate` job that scores every source and the pool
(glurpc_core.evaluation.assess) and, when a figure is asked for, ONE
render-lane job that draws it. Jobs are keyed by what they compute (the
sources' handles and labels, the report version, the figure format), so
identical requests share them, a request that leaves detaches from the one job
it waits on, and finished reports and figures are cached like forecasts.
`model` chooses the model evaluated (the daemon's default when absent): the
sources' handles are that model's, so each model's report is its own. A list
of 2 to 4 models scores each on the same windows and adds the paired
bootstrap intervals of their differences (one cpu-lane job); its figure is
one render-lane job, cached like the one-model figure.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import numpy as np

from glurpc_core.errors import ErrorCode, OpError
from glurpc_core.evaluation.assess import (
    VERSION,
    Assessment,
    Source,
    WindowPoints,
    assess,
    compact_source,
)
from glurpc_core.evaluation.compare import compare
from glurpc_core.forecast import WindowForecast
from glurpc_core.identity import evaluation_digest
from glurpc_core.render import evaluation as evaluation_figure
from glurpc_core.render import evaluation_compare as comparison_figure
from glurpc_core.requests.args import optional_str
from glurpcd.cache import CacheKey
from glurpcd.engine.lanes import Engine, Lane
from glurpcd.engine.payloads import Calculation
from glurpcd.lifecycle import JobSpec, Request
from glurpcd.ops.compare import plot_models
from glurpcd.ops.data import Resolved, UploadResolver
from glurpcd.ops.forecasts import IMAGE_FORMATS, ForecastOps, cached_or_computed
from glurpcd.ops.results import ResultStore

MAX_SOURCES = 500  # one request's files and subjects: bounds its memory
MAX_LABEL_CHARS = 200
SOURCE_KEYS = ("csv", "handle", "subject", "sequence")

FigureRenderer = Callable[..., "Future[bytes]"]


@dataclass(frozen=True)
class _Named:
    label: str
    upload: dict[str, Any]


class EvaluationOps:
    def __init__(
        self,
        results: ResultStore,
        engine: Engine,
        uploads: UploadResolver,
        forecasts: ForecastOps,
        *,
        render: FigureRenderer,
        render_comparison: FigureRenderer,
    ) -> None:
        self.results = results
        self.engine = engine
        self.uploads = uploads
        self.forecasts = forecasts
        self.render = render  # RenderPool.submit_evaluation
        self.render_comparison = render_comparison  # RenderPool.submit_comparison

    async def evaluate(self, request: Request, args: dict[str, Any]) -> dict[str, Any]:
        named = _sources(args)
        fmt = optional_str(args, "plot", IMAGE_FORMATS)
        # What is scored is what is served: with the personal adaptation asked for.
        method = self.forecasts.adaptation.method(args)
        names = plot_models(args)
        if len(names) > 1:
            uploaded = [await self.uploads.resolve(request, one.upload) for one in named]
            return await self._compared(request, named, uploaded, names, fmt, method)
        file = self.forecasts.models.choose(names[0])
        uploaded = [await self.uploads.resolve(request, one.upload) for one in named]
        async with self.forecasts.models.use(request, file) as model:
            # Each model's handles: its reports and figures are cached apart.
            resolved = [await self.uploads.for_model(request, r, model.tag) for r in uploaded]
            return await self._evaluated(request, named, resolved, fmt, model, method)

    async def _compared(
        self,
        request: Request,
        named: list[_Named],
        uploaded: list[Resolved],
        names: list[str | None],
        fmt: str | None,
        method: str,
    ) -> dict[str, Any]:
        """Every model on the same windows: one report each and the paired
        differences to the first (glurpc_core/evaluation/compare.py), cached
        like a one-model report: a repeated comparison forecasts nothing."""
        models = self.forecasts.models
        files = [models.choose(name) for name in names]
        if len({file.model_id for file in files}) != len(files):
            raise OpError.bad_request("'model' names one model twice")
        labels = [one.label for one in named]
        entries, series = [], []  # per model: its reply entry, its handles' series
        for file in files:
            async with models.use(request, file) as model:
                served = [await self.uploads.for_model(request, r, model.tag) for r in uploaded]
            series.append(served)
            handles = [one.handle for one in served]
            entries.append({"name": file.name, "model": model.facts(), "handles": handles})
        pairs = [pair for entry in entries for pair in zip(entry["handles"], labels, strict=True)]
        shown = [file.name for file in files]
        pairs.append(("adapt", method))
        # The names are shown (differences, figure): two names of one model id
        # must not share a job or a cached figure.
        pairs += [("name", name) for name in shown]
        digest = evaluation_digest(pairs, VERSION)
        key = CacheKey("evaluation", digest, "comparison")
        cached = await self.results.get(key)
        if cached is None:
            sources = []
            for file, served in zip(files, series, strict=True):
                async with models.use(request, file) as model:
                    sources.append(
                        [
                            await self._source(request, one, label, model, method)
                            for one, label in zip(served, labels, strict=True)
                        ]
                    )
            spec = JobSpec(f"evaluate-models:{digest}", "evaluate", digest)
            compared = await cached_or_computed(
                self.results, self.engine, request, spec, key=key, lane=Lane.CPU,
                payload=Calculation(lambda: compare(shown, sources)),
                encode=lambda result: json.dumps(result).encode(), decode=json.loads,
            )  # fmt: skip
        else:
            compared = await asyncio.to_thread(json.loads, cached)
        reports = [
            {**entry, **report, "sources": _with_handles(report["sources"], entry["handles"])}
            for entry, report in zip(entries, compared["reports"], strict=True)
        ]
        data = {"models": reports, "differences": compared["differences"], "adapt": method}
        if fmt is not None:
            draw = functools.partial(self.render_comparison, data, fmt=fmt)
            data["image"] = await self._figure(
                request, digest, fmt, draw, name="comparison", version=comparison_figure.VERSION
            )
            data["format"] = fmt
        return data

    async def _evaluated(
        self,
        request: Request,
        named: list[_Named],
        resolved: list[Resolved],
        fmt: str | None,
        model: Any,
        method: str,
    ) -> dict[str, Any]:
        labels = [one.label for one in named]
        pairs = [(one.handle, label) for one, label in zip(resolved, labels, strict=True)]
        pairs.append(("adapt", method))  # the method keys the report as the sources do
        digest = evaluation_digest(pairs, VERSION)
        key = CacheKey("evaluation", digest, "report")
        cached = await self.results.get(key)
        if cached is None:
            sources = [
                await self._source(request, one, label, model, method)
                for one, label in zip(resolved, labels, strict=True)
            ]
            spec = JobSpec(f"evaluate:{digest}", "evaluate", digest)
            assessment: Assessment = await cached_or_computed(
                self.results, self.engine, request, spec, key=key, lane=Lane.CPU,
                payload=Calculation(lambda: assess(sources)),
                encode=encode_assessment, decode=decode_assessment,
            )  # fmt: skip
        else:
            assessment = await asyncio.to_thread(decode_assessment, cached)
        data = {**assessment.report, "model": model.facts(), "adapt": method}
        # A new list: the report may be shared with identical requests.
        data["sources"] = [
            {**entry, "handle": one.handle}
            for entry, one in zip(assessment.report["sources"], resolved, strict=True)
        ]
        if fmt is not None:
            report, points = assessment.report, assessment.points
            draw = functools.partial(self.render, report, points, fmt=fmt)
            data["image"] = await self._figure(
                request, digest, fmt, draw, name="figure", version=evaluation_figure.VERSION
            )
            data["format"] = fmt
        return data

    async def _source(
        self, request: Request, resolved: Resolved, label: str, model: Any, method: str
    ) -> Source:
        series = resolved.prepared.series
        indices = [int(i) for i in series.wire_indices()]
        if not indices:
            raise OpError(ErrorCode.TOO_SHORT, f"{label}: no window with a known next hour")
        forecasts = self.forecasts
        windows = await forecasts.served_windows(
            request, resolved, indices, method, model, logged=False
        )
        return await asyncio.to_thread(_compact, label, resolved, indices, windows)

    async def _figure(
        self,
        request: Request,
        digest: str,
        fmt: str,
        draw: Callable[[], Future[bytes]],
        *,
        name: str,
        version: int,
    ) -> bytes:
        """The figure `draw()` renders in one render-lane job, cached by the
        report's digest, `name`, the drawing's `version` and the format."""
        spec = JobSpec(f"evaluate-{name}:{digest}:{fmt}", "evaluate_figure", digest)

        async def rendered() -> bytes:
            return await asyncio.wrap_future(draw())

        image: bytes = await cached_or_computed(
            self.results, self.engine, request, spec,
            key=CacheKey("evaluation", digest, f"{name}-v{version}.{fmt}"),
            lane=Lane.RENDER,
            payload=rendered, encode=bytes, decode=bytes,
        )  # fmt: skip
        return image


def _with_handles(entries: list[dict[str, Any]], handles: list[str]) -> list[dict[str, Any]]:
    return [{**entry, "handle": handle} for entry, handle in zip(entries, handles, strict=True)]


def _sources(args: dict[str, Any]) -> list[_Named]:
    sources = args.get("sources")
    if not isinstance(sources, list) or not 1 <= len(sources) <= MAX_SOURCES:
        raise OpError.bad_request(f"'sources' must be a list of 1 to {MAX_SOURCES} maps")
    named = []
    for position, entry in enumerate(sources):
        if not isinstance(entry, dict):
            raise OpError.bad_request(f"sources[{position}] must be a map")
        label = optional_str(entry, "label")
        if label is not None and len(label) > MAX_LABEL_CHARS:
            raise OpError.bad_request(f"sources[{position}].label is over {MAX_LABEL_CHARS} chars")
        upload = {k: v for k, v in entry.items() if k in SOURCE_KEYS}
        default = entry.get("subject") or entry.get("handle") or f"source {position + 1}"
        named.append(_Named(label or str(default), upload))
    return named


def _compact(
    label: str, resolved: Resolved, indices: list[int], windows: dict[int, WindowForecast]
) -> Source:
    """The arrays scoring reads, so a long file's full forecasts are not held."""
    points = [WindowPoints.of(windows[i]) for i in indices]
    return compact_source(label, resolved.prepared.series, indices, points)


def encode_assessment(assessment: Assessment) -> bytes:
    """npz without pickle: the report as UTF-8 JSON bytes, the grid points as arrays."""
    report = np.frombuffer(json.dumps(assessment.report).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, report=report, **assessment.points)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode_assessment(data: bytes) -> Assessment:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        report = json.loads(arrays["report"].tobytes().decode())
        points = {name: arrays[name] for name in arrays.files if name != "report"}
    return Assessment(report, points)
