"""Test doubles for the engine's compute, gated by events so the test decides
when each batch runs and finishes. No sleeps: the test waits on what the
worker signals."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from glurpcd.engine.jobqueue import Lane, LaneQueues
from glurpcd.engine.lanes import Engine
from glurpcd.lifecycle import Duplicates, JobSpec, Registry, Request

WAIT_S = 10.0


class GatedModel:
    """Stands in for the Forecaster: each window takes `steps` batches; each
    batch blocks until the test releases it, and is recorded."""

    samples = 1

    def __init__(self, steps: int = 1, windows_per_batch: int = 8) -> None:
        self.steps = steps
        self.batch_rows = windows_per_batch
        self.entered: queue.Queue[tuple[int, ...]] = queue.Queue()
        self._gate = threading.Semaphore(0)
        self.batches_run: list[tuple[int, ...]] = []
        self.calls: list[tuple[int, ...]] = []

    def release(self, batches: int = 1) -> None:
        for _ in range(batches):
            self._gate.release()

    async def next_batch(self) -> tuple[int, ...]:
        """Wait until the worker thread is inside its next batch."""
        return await asyncio.to_thread(self.entered.get, True, WAIT_S)

    def forecast(
        self,
        series: Any,
        indices: Sequence[int],
        *,
        skip: Callable[[int], bool],
        on_batch: Callable[[int, int], None] | None = None,
    ) -> dict[int, Any]:
        self.calls.append(tuple(indices))
        remaining = list(indices)
        for step in range(self.steps):
            remaining = [index for index in remaining if not skip(index)]
            if not remaining:
                return {}
            self.entered.put(tuple(remaining))
            if not self._gate.acquire(timeout=WAIT_S):
                raise TimeoutError("test never released the batch")
            self.batches_run.append(tuple(remaining))
            if on_batch is not None:
                on_batch(step + 1, self.steps)
        return {index: f"forecast-{index}" for index in remaining}


class Gate:
    """An async payload for the render lane that the test completes."""

    def __init__(self, result: Any = "done") -> None:
        self.started = asyncio.Event()
        self.finish = asyncio.Event()
        self.runs = 0
        self.result = result

    async def __call__(self) -> Any:
        self.runs += 1
        self.started.set()
        await self.finish.wait()
        return self.result


def make_engine(
    model: Any, duplicates: Duplicates = Duplicates.COALESCE, queue_size: int = 256
) -> tuple[Registry, Engine]:
    """A registry and an engine wired as the daemon wires them (not started)."""
    queues = LaneQueues(queue_size)
    registry = Registry(duplicates, on_abandon=queues.drop)
    return registry, Engine(registry, queues, model, cpu_workers=1, render_workers=1)


def forecast_spec(index: int, handle: str = "h1") -> JobSpec:
    return JobSpec(f"forecast:{handle}:{index}", "forecast", handle, index)


def start(
    registry: Registry,
    engine: Engine,
    spec: JobSpec,
    lane: Lane,
    payload: Any,
    store: Callable[[Any], None] = lambda result: None,
) -> Request:
    """Open a request and run it as its own task, as a connection does."""
    request = registry.open_request("test", "uid=0/pid=0")

    async def run() -> Any:
        return await engine.obtain(request, spec, lane, payload, store)

    request.task = asyncio.create_task(run())
    return request


def observe_stops(registry: Registry) -> asyncio.Event:
    """An event set when a worker reports an unwanted running job stopped."""
    stopped = asyncio.Event()
    original = registry.job_stopped

    def job_stopped(job: Any) -> None:
        original(job)
        stopped.set()

    registry.job_stopped = job_stopped  # type: ignore[method-assign]
    return stopped


async def settle() -> None:
    """Let every ready callback run (tasks reach their next await)."""
    for _ in range(5):
        await asyncio.sleep(0)
