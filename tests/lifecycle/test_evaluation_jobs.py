"""`evaluate` through the real ops, registry, engine, ingest, scoring and
renderer, with only the models gated (tests/lifecycle/gates.py): identical
requests share every job, one model's or a comparison's, and the forecasts
stop when the last one leaves."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glurpc_core.forecast import WindowForecast
from glurpc_core.model.resolve import SHIPPED_DEFAULT
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, CgmSeries
from glurpcd.cache import CacheStore
from glurpcd.engine.render_pool import RenderPool
from glurpcd.lifecycle import Outcome
from glurpcd.models import Catalog, ModelFile, Models
from glurpcd.observe.lifecycle_status import status_snapshot
from glurpcd.ops.data import UploadResolver
from glurpcd.ops.evaluation import EvaluationOps
from glurpcd.ops.forecasts import ForecastOps
from glurpcd.ops.results import ResultStore
from tests.integration.samples import cgm_csv
from tests.models.store import make_store

from .gates import GatedModel, make_engine, observe_stops

BAND = np.array([-20.0, -8.0, 0.0, 8.0, 20.0])  # offsets of the five quantiles


class GatedPersistence(GatedModel):
    """The gated model, answering with real forecasts: the last value held,
    with fixed bands (what `evaluate` scores, not how good it is)."""

    def __init__(self, model_id: str = "gated") -> None:
        super().__init__()
        self.model_id = self.tag = model_id

    def facts(self) -> dict[str, Any]:
        return {"model": self.model_id, "seed": 0, "samples": self.samples, "calibration": "none"}

    def forecast(
        self,
        series: Any,
        indices: Sequence[int],
        *,
        skip: Callable[[int], bool],
        on_batch: Callable[[int, int], None] | None = None,
    ) -> dict[int, Any]:
        done = super().forecast(series, indices, skip=skip, on_batch=on_batch)
        return {index: _window(series, index) for index in done}


def _window(series: CgmSeries, index: int) -> WindowForecast:
    start = series.input_start(index)
    history = series.history(np.array([start]))[0]
    truth = series.glucose[start + INPUT_STEPS : start + INPUT_STEPS + OUTPUT_STEPS]
    median = np.full(OUTPUT_STEPS, history[-1], dtype=np.float32)
    times = series.times[start : start + INPUT_STEPS]
    return WindowForecast(
        index=index,
        history_times=times,
        history=history,
        future_times=series.future_times(index),
        truth=truth.astype(np.float32),
        sample_means=median[:, None].copy(),
        sample_stds=np.ones((OUTPUT_STEPS, 1), dtype=np.float32),
        median=median,
        quantiles=(median[None, :] + BAND[:, None]).astype(np.float32),
    )


class Harness:
    def __init__(self, store: Path | None = None) -> None:
        self.model = GatedPersistence()
        self.registry, self.engine = make_engine(self.model)
        self.results = ResultStore(CacheStore(None, memory_bytes=64 << 20, disk_bytes=0))
        self.renderer = RenderPool(0)  # inline: real matplotlib, no processes
        uploads = UploadResolver(self.results, self.engine, self.model.tag)
        # The gated model serves as the default; a store model loads as another
        # gated model, under the file's id.
        self.loaded: dict[str, GatedPersistence] = {}
        models = Models(
            Catalog(SHIPPED_DEFAULT, "shipped-default", store), self.model,
            load=self._load, engine=self.engine, budget_bytes=1 << 30,
        )  # fmt: skip
        forecasts = ForecastOps(
            self.results, self.engine, uploads, models, render=self.renderer.submit,
            precompute_windows=0,
        )  # fmt: skip
        self.ops = EvaluationOps(
            self.results, self.engine, uploads, forecasts, render=self.renderer.submit_evaluation,
            render_comparison=self.renderer.submit_comparison,
        )  # fmt: skip
        self.engine.start()

    def _load(self, file: ModelFile) -> GatedPersistence:
        return self.loaded.setdefault(file.name, GatedPersistence(file.model_id))

    def evaluate(self, args: dict[str, Any]) -> Any:
        request = self.registry.open_request("evaluate", "uid=0/pid=0")
        request.task = asyncio.create_task(self.ops.evaluate(request, args))
        return request

    def attached(self) -> list[dict[str, Any]]:
        return list(status_snapshot(self.registry)["attached"])

    async def both_attached(self) -> dict[str, Any]:
        """The one job both requests wait on, once the later one has joined it
        (it may still be reading the upload's cache entry in a thread)."""
        while True:
            jobs = self.attached()
            if len(jobs) == 1 and jobs[0]["requests"] == 2:
                return jobs[0]
            await asyncio.sleep(0)  # the outer wait_for bounds this

    async def close(self) -> None:
        await self.engine.stop()
        self.results.close()
        self.renderer.close()


ARGS = {
    "sources": [
        {"csv": cgm_csv(hours=14, seed=1), "label": "one"},
        {"csv": cgm_csv(hours=12, seed=2), "label": "two"},
    ],
    "plot": "png",
}


def run(scenario: Callable[[], Any]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_identical_evaluations_share_every_job() -> None:
    async def scenario() -> None:
        harness = Harness()
        first, second = harness.evaluate(ARGS), harness.evaluate(ARGS)
        for _ in ARGS["sources"]:  # each source's forecasts: one job, both attached
            await harness.model.next_batch()
            job = await harness.both_attached()
            assert job["kind"] == "forecast"
            harness.model.release()
        one, two = await first.task, await second.task
        assert len(harness.model.calls) == 2  # one forecast job per source, not per request
        assert one == two and one["image"].startswith(b"\x89PNG")
        assert [s["label"] for s in one["sources"]] == ["one", "two"]
        completed = status_snapshot(harness.registry)["jobs"]["completed"]
        # 2 prepares, 2 forecast sets, 1 evaluation, 1 figure: the second request computed nothing.
        assert completed == 6
        for request in (first, second):
            harness.registry.close_request(request, Outcome.COMPLETED)
        assert harness.registry.is_empty()
        await harness.close()

    run(scenario)


def test_forecasts_stop_only_when_the_last_identical_evaluation_leaves() -> None:
    async def scenario() -> None:
        harness = Harness()
        stopped = observe_stops(harness.registry)
        first, second = harness.evaluate(ARGS), harness.evaluate(ARGS)
        await harness.model.next_batch()
        job = harness.registry.find((await harness.both_attached())["key"])
        harness.registry.cancel(first)
        assert job.wanted  # the other request still waits for it
        harness.registry.cancel(second)
        assert not job.wanted  # abandoned: the model skips its windows at the next batch
        harness.model.release()
        for request in (first, second):
            with pytest.raises(asyncio.CancelledError):
                await request.task
        await stopped.wait()  # the worker gave the unwanted job up
        assert len(harness.model.calls) == 1  # the second source was never forecast
        assert harness.registry.is_empty()
        await harness.close()

    run(scenario)


def test_identical_comparisons_of_models_share_every_job(tmp_path: Path) -> None:
    async def scenario() -> None:
        harness = Harness(make_store(tmp_path / "models", {"other": 1}))
        args = {**ARGS, "model": ["default", "other"]}
        first, second = harness.evaluate(args), harness.evaluate(args)
        for name in ("default", "other"):  # in turn; "other" is loaded before either runs
            model = harness.model if name == "default" else harness.loaded[name]
            for _ in ARGS["sources"]:
                await model.next_batch()
                job = await harness.both_attached()
                assert job["kind"] == "forecast" and job["model"] == model.model_id
                model.release()
        one, two = await first.task, await second.task
        # One forecast job per source and model, not per request.
        assert len(harness.model.calls) == len(harness.loaded["other"].calls) == 2
        assert one == two and one["image"].startswith(b"\x89PNG")
        assert [entry["name"] for entry in one["models"]] == ["default", "other"]
        done = status_snapshot(harness.registry)["jobs"]["completed_by_kind"]
        assert (done["load_model"], done["evaluate"], done["evaluate_figure"]) == (1, 1, 1)
        for request in (first, second):
            harness.registry.close_request(request, Outcome.COMPLETED)
        assert harness.registry.is_empty()
        await harness.close()

    run(scenario)
