"""Work is keyed by model: identical requests for one model share one
forecast; identical ones for two models never do (each model has its own
handle for a series, and its job keys name it). Driven through the real
ForecastOps, Engine, Registry and cache, with real forecasters whose forward
passes wait for the test (GatedForecaster)."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

import numpy as np

from glurpc_core import ingest
from glurpc_core.model import Forecaster
from glurpc_core.model.resolve import SHIPPED_DEFAULT
from glurpcd.cache import CacheStore
from glurpcd.lifecycle import Outcome
from glurpcd.models import Models
from glurpcd.ops import ForecastOps, ResultStore, UploadResolver
from glurpcd.ops.data import Resolved
from tests.integration.samples import cgm_csv
from tests.lifecycle.gates import make_engine

from .store import WAIT_S, make_store, shipped_catalog


class GatedForecaster:
    """A real Forecaster whose forecasts wait for the test's release."""

    def __init__(self, forecaster: Forecaster | None = None) -> None:
        self.real = forecaster  # set by the loader for a store model
        self.entered: queue.Queue[tuple[int, ...]] = queue.Queue()
        self.gate = threading.Event()
        self.calls: list[tuple[int, ...]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def forecast(self, series, indices, **kwargs):
        self.calls.append(tuple(indices))
        self.entered.put(tuple(indices))
        if not self.gate.wait(WAIT_S):
            raise TimeoutError("the test never released the forward pass")
        return self.real.forecast(series, indices, **kwargs)


def attachments_reach(registry, kind: str, count: int) -> asyncio.Event:
    """Set once a job of `kind` has `count` requests attached."""
    reached = asyncio.Event()
    original = registry.attach

    def attach(request, spec, loop):
        job, created = original(request, spec, loop)
        if spec.kind == kind and len(job.requests) >= count:
            reached.set()
        return job, created

    registry.attach = attach
    return reached


def test_identical_requests_coalesce_within_a_model_and_never_across_models(tmp_path):
    async def scenario():
        store = make_store(tmp_path / "models", {"alpha": 1, "beta": 2})
        catalog = shipped_catalog(store)
        default = GatedForecaster(Forecaster(SHIPPED_DEFAULT, source="shipped", samples=2))
        loaded = {"alpha": GatedForecaster(), "beta": GatedForecaster()}

        def load(file):
            loaded[file.name].real = Forecaster(file.path, source="store", samples=2)
            return loaded[file.name]

        registry, engine = make_engine(default)
        models = Models(catalog, default, load=load, engine=engine, budget_bytes=1 << 30)
        results = ResultStore(CacheStore(None, memory_bytes=1 << 26, disk_bytes=0))
        uploads = UploadResolver(results, engine, default.tag)
        ops = ForecastOps(
            results, engine, uploads, models, render=lambda *a, **k: None, precompute_windows=0
        )
        engine.start()
        prepared = ingest.prepare(cgm_csv(hours=12, seed=3), ingest.PrepareSettings())
        # The default model's handle, as `resolve` gives it; each model has its own.
        resolved = Resolved("ab" * 32, prepared, False, {})
        two_on_alpha = attachments_reach(registry, "forecast", 2)

        def ask(name):
            request = registry.open_request("forecast", "uid=0/pid=0")

            async def run():
                async with models.use(request, models.choose(name)) as model:
                    served = await uploads.for_model(request, resolved, model.tag)
                    return await ops.windows(request, served, [0], model)

            request.task = asyncio.create_task(run())
            return request

        requests = [ask("alpha"), ask("alpha"), ask("beta")]
        await two_on_alpha.wait()
        await asyncio.to_thread(loaded["alpha"].entered.get, True, WAIT_S)
        loaded["alpha"].gate.set()
        await asyncio.to_thread(loaded["beta"].entered.get, True, WAIT_S)
        loaded["beta"].gate.set()
        one, two, other = [await request.task for request in requests]

        assert loaded["alpha"].calls == [(0,)], "two identical alpha requests: one forecast"
        assert loaded["beta"].calls == [(0,)], "beta's request ran on beta, never joined alpha"
        assert default.calls == []
        assert one[0] is two[0]
        assert not np.array_equal(one[0].median, other[0].median)
        assert registry.counters.jobs_completed["forecast"] == 2
        for request in requests:
            registry.close_request(request, Outcome.COMPLETED)
        assert registry.is_empty()
        await engine.stop()
        await asyncio.to_thread(results.close)

    asyncio.run(asyncio.wait_for(scenario(), 120))
