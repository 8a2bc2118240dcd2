"""Personal adaptation state is lifecycle work like any other: one job per
(handle, method) shared by identical requests, abandoned when the last one
leaves, and stored only when wanted. Driven through the real Engine, Registry
and the ops' Adaptation, with the fit gated by an event (no sleeps)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from glurpc_core.model.adaptation import PERSONAL_AR, AdaptationState
from glurpcd.engine.lanes import Lane
from glurpcd.lifecycle import Outcome
from glurpcd.ops.adaptation import Adaptation, adaptation_key

from .gates import WAIT_S, GatedModel, make_engine, settle


class GatedAdapter:
    """Stands in for `Adapter`: each fit blocks until the test releases it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.fits = 0
        self.digest = "p1"

    def state(self, series: Any) -> AdaptationState:
        self.fits += 1
        self.entered.set()
        if not self.release.wait(WAIT_S):
            raise TimeoutError("test never released the fit")
        return AdaptationState(PERSONAL_AR, series, series)


class MemoryResults:
    """The ResultStore calls Adaptation makes, in memory."""

    def __init__(self) -> None:
        self.stored: dict[Any, bytes] = {}

    async def lookup(self, key: Any) -> bytes | None:
        return self.stored.get(key)

    def put(self, key: Any, data: bytes) -> None:
        self.stored[key] = data


class Upload:
    """What `Adaptation.state` reads of a resolved upload."""

    def __init__(self, handle: str) -> None:
        self.handle = handle
        self.prepared = type("Prepared", (), {"series": [1.0, 2.0]})()


def observe_job_end(registry: Any) -> asyncio.Event:
    """An event set when a worker reports a job ended (its result in or not)."""
    ended = asyncio.Event()
    original = registry.job_finished

    def job_finished(*args: Any) -> None:
        original(*args)
        ended.set()

    registry.job_finished = job_finished
    return ended


def run(scenario: Any) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 30))


def make() -> tuple[Any, Any, Adaptation, GatedAdapter, MemoryResults]:
    registry, engine = make_engine(GatedModel())
    engine.start()
    adapter = GatedAdapter()
    results = MemoryResults()
    return registry, engine, Adaptation(results, engine, adapter), adapter, results  # type: ignore[arg-type]


def ask(registry: Any, adaptation: Adaptation, handle: str = "h1") -> Any:
    request = registry.open_request("forecast", "uid=0/pid=0")
    request.task = asyncio.create_task(adaptation.state(request, Upload(handle), PERSONAL_AR))
    return request


def test_identical_requests_share_one_fit_and_its_result() -> None:
    async def scenario() -> None:
        registry, engine, adaptation, adapter, results = make()
        first, second = ask(registry, adaptation), ask(registry, adaptation)
        await asyncio.to_thread(adapter.entered.wait, WAIT_S)
        await settle()
        job = registry.find(f"adapt:h1:{PERSONAL_AR}:p1")
        assert len(job.requests) == 2
        adapter.release.set()
        states = await asyncio.gather(first.task, second.task)
        assert adapter.fits == 1
        assert all(state.method == PERSONAL_AR for state in states)
        assert adaptation_key("h1", PERSONAL_AR, "p1") in results.stored
        for request in (first, second):
            registry.close_request(request, Outcome.COMPLETED)
        assert registry.is_empty()
        await engine.stop()

    run(scenario)


def test_running_fit_is_abandoned_when_both_requests_leave() -> None:
    async def scenario() -> None:
        registry, engine, adaptation, adapter, results = make()
        first, second = ask(registry, adaptation), ask(registry, adaptation)
        await asyncio.to_thread(adapter.entered.wait, WAIT_S)
        job = registry.find(f"adapt:h1:{PERSONAL_AR}:p1")
        registry.cancel(first)
        assert job.wanted and len(job.requests) == 1  # still wanted by the second
        registry.cancel(second)
        assert not job.wanted and registry.find(job.key) is None
        ended = observe_job_end(registry)
        adapter.release.set()
        await asyncio.gather(first.task, second.task, return_exceptions=True)
        await ended.wait()  # the worker handed back the fit's result, unwanted
        assert results.stored == {}  # an abandoned fit is never stored
        assert registry.is_empty()
        await engine.stop()

    run(scenario)


def test_queued_fit_abandoned_by_both_requests_never_runs() -> None:
    async def scenario() -> None:
        registry, engine, adaptation, adapter, results = make()
        blocker = ask(registry, adaptation, "busy")  # holds the one cpu worker
        await asyncio.to_thread(adapter.entered.wait, WAIT_S)
        first, second = ask(registry, adaptation), ask(registry, adaptation)
        await settle()
        assert len(engine.queues[Lane.CPU]) == 1  # one queued job for both
        registry.cancel(first)
        assert len(engine.queues[Lane.CPU]) == 1
        registry.cancel(second)
        assert len(engine.queues[Lane.CPU]) == 0  # dropped before it ran
        adapter.release.set()
        await blocker.task
        await asyncio.gather(first.task, second.task, return_exceptions=True)
        assert adapter.fits == 1  # only the blocker's
        assert list(results.stored) == [adaptation_key("busy", PERSONAL_AR, "p1")]
        registry.close_request(blocker, Outcome.COMPLETED)
        await engine.stop()

    run(scenario)
