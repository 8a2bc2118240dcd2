"""The bound on queued background forecasts (engine layer, event loop only).

Every fresh upload queues forecasts of its newest windows that nobody waits
for yet. Without a bound, a script uploading thousands of small files queues
hours of CPU work that outlives every client. Here at most `limit` such jobs
are queued in all and at most `per_uid` for one client uid; to make room, the
queued work of the oldest uploads is dropped first (the uid's own oldest when
the uid is at its share). Work an interactive request has joined is never
dropped, and jobs that started or finished stop counting.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from glurpcd.lifecycle import Job, JobState


@dataclass
class _Upload:
    uid: int | None
    jobs: list[Job] = field(default_factory=list)


def _droppable(job: Job) -> bool:
    return job.state is JobState.QUEUED and job.wanted and not job.requests


class BackgroundBudget:
    def __init__(self, limit: int, per_uid: int, drop: Callable[[Job], None]) -> None:
        self.dropped = 0
        self._drop = drop
        self._uploads: OrderedDict[str, _Upload] = OrderedDict()  # oldest first
        self.set_limits(limit, per_uid)

    def set_limits(self, limit: int, per_uid: int) -> None:
        """New bounds (SIGHUP); work already queued stays until it runs or a
        later upload needs its room."""
        self.limit = max(0, limit)
        self.per_uid = max(0, per_uid)

    def room_for(self, uid: int | None, wanted: int) -> int:
        """How many of `wanted` new jobs for `uid` may be queued (at most its
        share), after dropping older uploads' queued work to make room."""
        self._prune()
        grant = min(wanted, self.limit, self.per_uid)
        while self._queued(uid) + grant > self.per_uid and self._drop_oldest(uid):
            pass
        while self._queued(None) + grant > self.limit and self._drop_oldest(None):
            pass
        return max(0, min(grant, self.per_uid - self._queued(uid), self.limit - self._queued(None)))

    def track(self, upload: str, uid: int | None, job: Job) -> None:
        entry = self._uploads.setdefault(upload, _Upload(uid))
        entry.jobs.append(job)
        self._uploads.move_to_end(upload)

    def snapshot(self) -> dict[str, Any]:
        self._prune()
        by_uid: dict[str, int] = {}
        for entry in self._uploads.values():
            by_uid[str(entry.uid)] = by_uid.get(str(entry.uid), 0) + len(entry.jobs)
        return {
            "queued": self._queued(None),
            "limit": self.limit,
            "per_uid_limit": self.per_uid,
            "dropped": self.dropped,
            "by_uid": by_uid,
        }

    def _queued(self, uid: int | None) -> int:
        return sum(
            len(entry.jobs) for entry in self._uploads.values() if uid is None or entry.uid == uid
        )

    def _prune(self) -> None:
        for upload in list(self._uploads):
            entry = self._uploads[upload]
            entry.jobs = [job for job in entry.jobs if _droppable(job)]
            if not entry.jobs:
                del self._uploads[upload]

    def _drop_oldest(self, uid: int | None) -> bool:
        """Drop the queued work of the oldest upload (of `uid`, if given)."""
        for upload, entry in self._uploads.items():
            if uid is None or entry.uid == uid:
                for job in entry.jobs:
                    self._drop(job)
                self.dropped += len(entry.jobs)
                del self._uploads[upload]
                return True
        return False
