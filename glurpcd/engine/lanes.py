"""Engine: queues and workers that run the lifecycle's jobs.

Layer: below the ops, above pure compute. Three lanes, each a bounded
priority queue with its own workers:
- `cpu`: parsing and preparation, in a small thread pool;
- `model`: forecasts, one worker that owns the model and batches queued
  windows of one handle (single windows, or a request's whole set of windows)
  into forward passes, in its own thread;
- `render`: images, in a process pool.
Every worker asks the registry whether a job is still wanted before each
expensive step (`should_run`), and the model's inference loop re-checks
between batches. Results are stored (cache) before waiters wake. It never
parses frames or touches sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from glurpc_core.errors import CodedError, ErrorCode, OpError, wire_error
from glurpc_core.memory import HeapTrimmer
from glurpc_wire.messages import Stage
from glurpcd.engine.background import BackgroundBudget
from glurpcd.engine.jobqueue import Lane, LaneQueues, Work
from glurpcd.engine.parse_child import ChildTask, run_in_child
from glurpcd.engine.payloads import (
    Calculation,
    CpuTask,
    ForecastModel,
    ForecastPayload,
    ForecastSetPayload,
    RenderTask,
)
from glurpcd.lifecycle import Job, JobSpec, JobState, Priority, Registry, Request
from glurpcd.observe.logcontext import in_context, serving

log = logging.getLogger("glurpcd.engine")


class Engine:
    def __init__(
        self,
        registry: Registry,
        queues: LaneQueues,
        model: ForecastModel,
        *,
        cpu_workers: int = 2,
        render_workers: int = 1,
        background: BackgroundBudget | None = None,
    ) -> None:
        self.registry = registry
        self.model = model
        self.queues = queues  # the registry drops abandoned jobs from them
        self._concurrency = {Lane.CPU: max(1, cpu_workers), Lane.RENDER: max(1, render_workers)}
        # The cpu lane's workers are this pool's only users, one thread each:
        # the worker count is the lane's one limit.
        self._cpu_pool = ThreadPoolExecutor(
            self._concurrency[Lane.CPU], thread_name_prefix="glurpcd-cpu"
        )
        self._model_thread = ThreadPoolExecutor(1, thread_name_prefix="glurpcd-model")
        self._supervisor: asyncio.Task[None] | None = None
        self._heap = HeapTrimmer()
        self.background = background or BackgroundBudget(1024, 512, registry.drop_background)
        # Forward passes actually run: what abandonment is measured against.
        self.model_batches = 0

    # -- lifecycle of the engine itself ----------------------------------

    def start(self, on_failure: Callable[[], None] = lambda: None) -> None:
        """Run the lanes' workers under one supervising task. A worker that
        fails (a bug: a job's own errors never leave its worker) ends the whole
        group, is logged once, and calls `on_failure`, so the daemon stops
        rather than serve with a lane that silently stalled."""
        self._supervisor = asyncio.create_task(self._supervise(on_failure), name="engine")

    async def _supervise(self, on_failure: Callable[[], None]) -> None:
        try:
            async with asyncio.TaskGroup() as workers:
                for lane in (Lane.CPU, Lane.RENDER):
                    for n in range(self._concurrency[lane]):
                        workers.create_task(self._generic_worker(lane), name=f"{lane}-worker-{n}")
                workers.create_task(self._model_worker(), name="model-worker")
        except* Exception as failed:
            log.critical("an engine worker failed; the daemon stops", exc_info=failed)
            on_failure()

    async def stop(self) -> None:
        for work in self.queues.drain():
            work.job.wanted = False
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        # Threads stop cooperatively: unwanted jobs end at the next batch.
        await asyncio.to_thread(self._model_thread.shutdown, wait=True)
        await asyncio.to_thread(self._cpu_pool.shutdown, wait=True)

    # -- what ops call ------------------------------------------------------

    async def obtain(
        self,
        request: Request,
        spec: JobSpec,
        lane: Lane,
        payload: CpuTask | RenderTask | ForecastPayload | ForecastSetPayload,
        store: Callable[[Any], None] = lambda result: None,
    ) -> Any:
        """Attach `request` to the job for `spec` (scheduling it when new) and
        wait for its result. The caller checked the cache in the same loop
        step, so a result that landed in between is never missed."""
        queue = self.queues[lane]
        if self.registry.find(spec.key) is None:  # joining existing work is never refused
            queue.check_capacity(self._retry_after(lane))
        job, created = self.registry.attach(request, spec, asyncio.get_running_loop())
        if created:
            self.queues.push(lane, Work(job, payload, store))
        elif job.state is JobState.QUEUED:
            queue.reprioritize(job)  # a key's jobs always run in one lane
        if job.state is JobState.QUEUED and request.notify is not None:
            request.notify(Stage.QUEUED, position=queue.position(job))
        attached_at = time.monotonic()
        try:
            return await asyncio.shield(job.future)
        finally:
            self.registry.detach(request)
            request.trace.waited(attached_at, job.started_at, time.monotonic())

    def schedule_background(
        self,
        spec: JobSpec,
        payload: Any,
        store: Callable[[Any], None],
        *,
        upload: str | None = None,
        uid: int | None = None,
    ) -> bool:
        """Queue background forecast work nobody waits for; False when the
        key is already being computed. The caller asked `background.room_for`;
        the work counts against `uid` and `upload` (default: the spec's handle)."""
        job = self.registry.add_background(spec, asyncio.get_running_loop())
        if job is None:
            return False
        self.queues.push(Lane.MODEL, Work(job, payload, store))
        self.background.track(upload or spec.handle, uid, job)
        return True

    def background_jobs(self) -> int:
        return sum(1 for job in self.registry.jobs() if job.background)

    # -- internals ---------------------------------------------------------

    def _retry_after(self, lane: Lane) -> float:
        queue = self.queues[lane]
        return queue.drain_rate.seconds_to_drain(queue.interactive_count())

    def _begin(self, work: Work) -> bool:
        """Checkpoint before the expensive step: run only wanted jobs."""
        self.queues.taken(work.job)
        if not self.registry.should_run(work.job):
            self.registry.job_stopped(work.job)
            return False
        self.registry.job_started(work.job)
        work.job.started_at = time.monotonic()
        return True

    def _finish(self, work: Work, result: Any = None, error: BaseException | None = None) -> None:
        """Every job ends here, exactly once. A store callback that raises (a
        bug) fails that job, logged once, and the worker goes on serving."""
        if error is None and work.job.wanted:
            try:
                work.store(result)
            except Exception as exc:
                error = _job_error(exc, work.job)
        self.registry.job_finished(work.job, result, error)

    async def _generic_worker(self, lane: Lane) -> None:
        queue = self.queues[lane]
        loop = asyncio.get_running_loop()
        while True:
            work = await queue.pop()
            if not self._begin(work):
                continue
            try:
                # Its log lines, a library's warnings included, name who it serves.
                with serving(work.job.requests):
                    if lane is Lane.CPU:
                        self._broadcast(work.job, _cpu_stage(work.payload))
                        result = await self._run_cpu(loop, work)
                    else:
                        self._broadcast(work.job, Stage.RENDERING)
                        result = await work.payload()
            except Exception as exc:  # reported to every attached request
                self._finish(work, error=_job_error(exc, work.job))
            else:
                self._finish(work, result)

    async def _run_cpu(self, loop: asyncio.AbstractEventLoop, work: Work) -> Any:
        task = work.payload
        if isinstance(task, ChildTask):
            return await run_in_child(task, wanted=lambda: work.job.wanted)
        return await loop.run_in_executor(self._cpu_pool, in_context(task))

    async def _model_worker(self) -> None:
        queue = self.queues[Lane.MODEL]
        loop = asyncio.get_running_loop()
        per_batch = max(1, self.model.batch_rows // max(1, self.model.samples))
        while True:
            if not len(queue):
                # Idle: give the burst's activations back to the OS.
                await loop.run_in_executor(self._model_thread, self._heap.release)
            first = await queue.pop()
            batch = [first] + queue.pop_matching(
                functools.partial(_same_batch, first), per_batch - 1
            )
            batch = [work for work in batch if self._begin(work)]
            if not batch:
                continue
            await self._run_forecasts(loop, batch)

    async def _run_forecasts(self, loop: asyncio.AbstractEventLoop, batch: list[Work]) -> None:
        by_index: dict[int, list[Work]] = {}
        for work in batch:
            for index in work.payload.indices:
                by_index.setdefault(index, []).append(work)
        series = batch[0].payload.series

        def skip(index: int) -> bool:  # model thread: reads flags only
            return not any(work.job.wanted for work in by_index[index])

        def on_batch(done: int, total: int) -> None:
            loop.call_soon_threadsafe(self._inference_progress, batch, done, total)

        for work in batch:
            self._broadcast(work.job, Stage.INFERENCE, done=0, total=1)
        serves = [request_id for work in batch for request_id in work.job.requests]
        try:
            with serving(serves):
                results = await loop.run_in_executor(
                    self._model_thread,
                    in_context(
                        self.model.forecast,
                        series,
                        list(by_index),
                        skip=skip,
                        on_batch=on_batch,
                    ),
                )
        except Exception as exc:
            for work in batch:
                self._finish(work, error=_job_error(exc, work.job))
            return
        for work in batch:
            indices = work.payload.indices
            if work.job.wanted and all(index in results for index in indices):
                if isinstance(work.payload, ForecastSetPayload):
                    self._finish(work, {index: results[index] for index in indices})
                else:
                    self._finish(work, results[work.payload.index])
            else:
                self.registry.job_stopped(work.job)

    def _inference_progress(self, batch: list[Work], done: int, total: int) -> None:
        self.model_batches += 1
        for work in batch:
            self._broadcast(work.job, Stage.INFERENCE, done=done, total=total)

    def _broadcast(self, job: Job, stage: Stage, **fields: int) -> None:
        for request in list(job.requests.values()):
            if request.notify is not None:
                request.notify(stage, **fields)


def _cpu_stage(task: CpuTask) -> Stage:
    """What a cpu-lane job tells its requests it is doing."""
    return Stage.CALCULATING if isinstance(task, Calculation) else Stage.PARSING


def _same_batch(first: Work, other: Work) -> bool:
    """Windows of one handle and one priority share a forward pass."""
    return (
        other.job.spec.handle == first.job.spec.handle and other.job.priority is first.job.priority
    )


def _job_error(exc: BaseException, job: Job) -> CodedError:
    known = wire_error(exc)
    if known is not None:
        return known
    log.exception("job %s failed", job.key, exc_info=exc)
    return OpError(ErrorCode.INTERNAL, f"internal error while computing {job.spec.kind}")


__all__ = ["Engine", "Lane", "LaneQueues", "Priority"]
