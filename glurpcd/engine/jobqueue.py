"""Bounded priority queues of queued jobs, one per lane (engine layer, event
loop only).

Interactive work comes before background work and is first-in first-out
within a priority. Jobs leave their queue the moment they are abandoned
(`LaneQueues.drop`, the registry's abandon callback), so a dropped job costs
no compute and holds no place. Only interactive entries count against the
capacity: background work is bounded where it is scheduled.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from glurpc_core.errors import ErrorCode, OpError
from glurpcd.engine.drain import DrainRate
from glurpcd.lifecycle import Job, Priority


class Lane(StrEnum):
    """Where a job runs: cpu threads (parsing), the model thread, render processes."""

    CPU = "cpu"
    MODEL = "model"
    RENDER = "render"


@dataclass(eq=False)
class Work:
    """A queued job plus what running it takes."""

    job: Job
    payload: Any
    # Stores the result (cache) on the loop, before the job's waiters wake.
    store: Callable[[Any], None] = field(default=lambda result: None)
    order: tuple[int, int] = (0, 0)


class JobQueue:
    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.capacity = capacity
        self._entries: list[tuple[tuple[int, int], Work]] = []
        self._by_job: dict[int, Work] = {}
        self._sequence = itertools.count()
        self._nonempty = asyncio.Event()
        self.drain_rate = DrainRate()  # how fast workers take jobs: for retry_after

    def __len__(self) -> int:
        return len(self._entries)

    def interactive_count(self) -> int:
        return sum(1 for _, work in self._entries if work.job.priority is Priority.INTERACTIVE)

    def check_capacity(self, retry_after: float) -> None:
        """Refuse new interactive work when full: never a silent drop."""
        if self.interactive_count() >= self.capacity:
            raise OpError(
                ErrorCode.OVERLOADED,
                f"the {self.name} queue is full ({self.capacity} jobs); retry later",
                {"retry_after": round(retry_after, 3), "queue": self.name},
            )

    def push(self, work: Work) -> None:
        work.order = (int(work.job.priority), next(self._sequence))
        bisect.insort(self._entries, (work.order, work), key=lambda entry: entry[0])
        self._by_job[id(work.job)] = work
        self._nonempty.set()

    def remove(self, job: Job) -> Work | None:
        work = self._by_job.pop(id(job), None)
        if work is not None:
            self._entries.remove((work.order, work))
            if not self._entries:
                self._nonempty.clear()
        return work

    def reprioritize(self, job: Job) -> None:
        """Re-place a queued job whose priority changed (an interactive
        request joined background work)."""
        work = self.remove(job)
        if work is not None:
            self.push(work)

    def position(self, job: Job) -> int:
        """Jobs ahead of `job` (0 = next to run)."""
        work = self._by_job.get(id(job))
        if work is None:
            return 0
        return bisect.bisect_left(self._entries, work.order, key=lambda entry: entry[0])

    async def pop(self) -> Work:
        while not self._entries:
            await self._nonempty.wait()
        _, work = self._entries[0]
        self.remove(work.job)
        self.drain_rate.record()
        return work

    def pop_matching(self, accept: Callable[[Work], bool], limit: int) -> list[Work]:
        """Take up to `limit` more queued entries that `accept` (batching)."""
        taken = [work for _, work in self._entries if accept(work)][:limit]
        for work in taken:
            self.remove(work.job)
            self.drain_rate.record()
        return taken

    def drain(self) -> list[Work]:
        works = [work for _, work in self._entries]
        for work in works:
            self.remove(work.job)
        return works


class LaneQueues:
    """One JobQueue per lane, and which lane holds each queued job."""

    def __init__(self, capacity: int) -> None:
        self._queues = {lane: JobQueue(lane.value, capacity) for lane in Lane}
        self._lane_of: dict[int, Lane] = {}

    def __getitem__(self, lane: Lane) -> JobQueue:
        return self._queues[lane]

    def lengths(self) -> dict[str, int]:
        return {lane.value: len(queue) for lane, queue in self._queues.items()}

    def push(self, lane: Lane, work: Work) -> None:
        self._lane_of[id(work.job)] = lane
        self._queues[lane].push(work)

    def taken(self, job: Job) -> None:
        """A worker took `job` off its queue."""
        self._lane_of.pop(id(job), None)

    def drop(self, job: Job) -> None:
        """Remove an abandoned job before it starts (the registry calls this)."""
        lane = self._lane_of.pop(id(job), None)
        if lane is not None:
            self._queues[lane].remove(job)

    def drain(self) -> list[Work]:
        self._lane_of.clear()
        return [work for queue in self._queues.values() for work in queue.drain()]
