"""Request lifecycle: daemon-wide request ids, jobs, attachment counts,
cancellation and staleness.

Layer: between the connection (which opens requests and forwards cancel
frames and disconnects) and the engine (which runs jobs). Everything here runs
on the event loop thread and never awaits, so each method is atomic with
respect to other coroutines: a result landing and a request attaching can
never interleave (no lost wake-ups). Worker threads only read `Job.wanted`.

Rules this module owns (docs/PROTOCOL.md "Cancellation and disconnect"):
- a request attaches to the one job keyed by what it needs; identical
  requests share it, and `attachments` counts them;
- `cancel()` is the single entry point that ends one request early (cancel
  frame, EOF, supersede); it detaches that request only;
- a job whose count reaches zero is abandoned at once, unless it is
  background work, which disconnects never cancel;
- under `supersede`, a newer identical request makes the older ones stale:
  they end `superseded` and their job is discarded;
- nothing lingers: when no request is open and no job runs, every table is
  empty.
It never does I/O, never computes, and never imports the engine.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glurpcd.observe.counters import LifecycleCounters
from glurpcd.observe.trace import RequestTrace


class Priority(enum.IntEnum):
    INTERACTIVE = 0
    BACKGROUND = 1


class Outcome(enum.StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class Duplicates(enum.StrEnum):
    COALESCE = "coalesce"
    SUPERSEDE = "supersede"


@dataclass(frozen=True)
class JobSpec:
    """What a job computes; `key` identifies it exactly."""

    key: str
    kind: str
    handle: str
    index: int | None = None


@dataclass(eq=False)
class Request:
    request_id: int
    op: str
    peer: str
    opened_at: float
    job: Job | None = None
    task: asyncio.Task[Any] | None = None
    outcome: Outcome | None = None
    # The client's uid (SO_PEERCRED); None for work the daemon starts itself.
    # Handles are owned and background work is bounded per uid.
    uid: int | None = None
    # Sends a progress frame to this request's client: (stage, fields).
    notify: Callable[..., None] | None = None
    trace: RequestTrace = field(default_factory=RequestTrace)


@dataclass(eq=False)
class Job:
    spec: JobSpec
    priority: Priority
    background: bool
    future: asyncio.Future[Any]
    state: JobState = JobState.QUEUED
    requests: dict[int, Request] = field(default_factory=dict)
    peak_attachments: int = 0
    orphaned_at: float | None = None
    started_at: float | None = None  # monotonic; for the requests' queue/compute split
    stale: bool = False
    # Read by worker threads between batches; written only on the loop.
    wanted: bool = True

    @property
    def key(self) -> str:
        return self.spec.key


class Registry:
    """The lifecycle's single source of truth (see the module docstring)."""

    def __init__(
        self,
        duplicates: Duplicates = Duplicates.COALESCE,
        *,
        on_abandon: Callable[[Job], None] = lambda job: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.duplicates = Duplicates(duplicates)
        # Told when a job loses its last request, so its queue drops it at once.
        self._on_abandon = on_abandon
        self._clock = clock
        self._last_request_id = 0
        self._requests: dict[int, Request] = {}
        self._jobs: dict[str, Job] = {}
        # Jobs dropped from `_jobs` (abandoned, stale) whose worker has not yet
        # stopped; the running ones report back through `job_stopped`.
        self._orphans: dict[int, Job] = {}
        self._latest_request: dict[str, int] = {}
        self.counters = LifecycleCounters()

    # -- requests ---------------------------------------------------------

    def open_request(self, op: str, peer: str) -> Request:
        """Register a request and give it the next daemon-wide id."""
        self._last_request_id += 1
        request = Request(self._last_request_id, op, peer, self._clock())
        self._requests[request.request_id] = request
        return request

    def close_request(self, request: Request, outcome: Outcome) -> None:
        """Record how a request ended; idempotent (the first outcome wins)."""
        self._detach(request)
        if request.outcome is None:
            request.outcome = outcome
            self.counters.request_ended(outcome.value)
        self._requests.pop(request.request_id, None)

    def cancel(self, request: Request, outcome: Outcome = Outcome.CANCELLED) -> None:
        """The one entry point that ends one request early (cancel frame,
        disconnect, supersede). Detaches it now, so its job's count drops in
        the same loop step, then cancels its task, whose handler sends the
        final frame where the connection still exists."""
        if request.outcome is not None:
            return
        self.close_request(request, outcome)
        if request.task is not None and not request.task.done():
            request.task.cancel(msg=outcome.value)

    @property
    def open_requests(self) -> list[Request]:
        return list(self._requests.values())

    # -- attachment -------------------------------------------------------

    def find(self, key: str) -> Job | None:
        return self._jobs.get(key)

    def attach(
        self, request: Request, spec: JobSpec, loop: asyncio.AbstractEventLoop
    ) -> tuple[Job, bool]:
        """Attach `request` to the job for `spec`; returns (job, created).

        A created job is QUEUED and the caller must schedule it. Attaching to
        a queued background job raises its priority.
        """
        if request.outcome is not None:
            raise RuntimeError(f"request {request.request_id} already ended")
        self._detach(request)
        job = self._jobs.get(spec.key)
        if job is not None and self.duplicates is Duplicates.SUPERSEDE and not job.background:
            self._supersede(job, request.request_id)
            job = None
        created = job is None
        if job is None:
            job = Job(spec, Priority.INTERACTIVE, False, loop.create_future())
            self._jobs[spec.key] = job
        self._latest_request[spec.key] = request.request_id
        job.requests[request.request_id] = request
        job.peak_attachments = max(job.peak_attachments, len(job.requests))
        job.priority = Priority.INTERACTIVE
        request.job = job
        return job, created

    def add_background(self, spec: JobSpec, loop: asyncio.AbstractEventLoop) -> Job | None:
        """A job with no request that disconnects never cancel; None when the
        key is already being computed."""
        if spec.key in self._jobs:
            return None
        job = Job(spec, Priority.BACKGROUND, True, loop.create_future())
        self._jobs[spec.key] = job
        return job

    def drop_background(self, job: Job) -> None:
        """Discard a queued background job nobody waits for (a bound on
        background work made room); counted as abandoned."""
        if job.background and not job.requests and job.state is JobState.QUEUED:
            self._abandon(job)

    def detach(self, request: Request) -> None:
        """The request stops waiting for its job (it got what it needed)."""
        self._detach(request)

    def _detach(self, request: Request) -> None:
        job = request.job
        if job is None:
            return
        request.job = None
        job.requests.pop(request.request_id, None)
        if job.requests or job.state is JobState.DONE:
            return
        if job.background:
            job.priority = Priority.BACKGROUND
            return
        self._abandon(job)

    def _supersede(self, job: Job, newest: int) -> None:
        """Requests older than `newest` are stale: they end `superseded`, and
        their job, left with none, is discarded as stale."""
        job.stale = all(request_id < newest for request_id in job.requests)
        for older in [r for r in job.requests.values() if r.request_id < newest]:
            self.cancel(older, Outcome.SUPERSEDED)

    def _abandon(self, job: Job) -> None:
        job.wanted = False
        job.orphaned_at = self._clock()
        self._forget(job)
        if job.state is JobState.QUEUED:
            # Dropped before it starts: no compute at all.
            self.counters.job_stopped(job.stale)
            self.counters.abandon_latency.add(0.0)
        else:
            self._orphans[id(job)] = job
        self._on_abandon(job)
        if not job.future.done():
            job.future.cancel()

    def _forget(self, job: Job) -> None:
        if self._jobs.get(job.key) is job:
            del self._jobs[job.key]
            self._latest_request.pop(job.key, None)

    # -- engine callbacks -------------------------------------------------

    def should_run(self, job: Job) -> bool:
        """The staleness/abandonment check workers make before each expensive
        step (counted for the stale-check hit rate)."""
        self.counters.job_checked(job.wanted)
        return job.wanted

    def job_started(self, job: Job) -> None:
        job.state = JobState.RUNNING

    def job_stopped(self, job: Job) -> None:
        """A worker gave up an unwanted running job at a checkpoint."""
        if self._orphans.pop(id(job), None) is None:
            return
        job.state = JobState.DONE
        self.counters.job_stopped(job.stale)
        if job.orphaned_at is not None:
            self.counters.abandon_latency.add(self._clock() - job.orphaned_at)

    def job_finished(
        self, job: Job, result: Any = None, error: BaseException | None = None
    ) -> None:
        """Publish a job's outcome to every attached request.

        The caller stores the result in the cache *before* calling this, in
        the same loop step, so a request arriving now finds either the job or
        the cached result, never neither.
        """
        if not job.wanted:
            self.job_stopped(job)
            return
        job.state = JobState.DONE
        self._forget(job)
        self.counters.job_finished(job.spec.kind, error is not None, job.peak_attachments)
        if error is not None:
            job.future.set_exception(error)
            # Nobody may be waiting (background work); mark it retrieved.
            job.future.exception()
        else:
            job.future.set_result(result)

    # -- observation ------------------------------------------------------

    @property
    def last_request_id(self) -> int:
        return self._last_request_id

    def is_empty(self) -> bool:
        """True when nothing per-request or per-key lingers."""
        return not any(self.table_sizes().values())

    def table_sizes(self) -> dict[str, int]:
        """Sizes of every per-request and per-key table (all 0 when idle)."""
        return {
            "requests": len(self._requests),
            "jobs": len(self._jobs),
            "orphans": len(self._orphans),
            "latest_request": len(self._latest_request),
        }

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())
