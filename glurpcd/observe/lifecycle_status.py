"""What the lifecycle counts, and its part of the `status` reply.

Layer: observation of the lifecycle (event loop only, no I/O). The registry
updates a `LifecycleCounters` as requests and jobs end; `status_snapshot`
reads the registry's tables and those counters into the keys that
docs/PROTOCOL.md "Status" lists. Nothing here changes what the lifecycle does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from glurpcd.observe.metrics import LatencyWindow

if TYPE_CHECKING:
    from glurpcd.lifecycle import Job, Outcome, Registry, Request


@dataclass
class LifecycleCounters:
    requests_by_outcome: dict[str, int] = field(default_factory=dict)
    jobs_completed: dict[str, int] = field(default_factory=dict)  # by job kind
    jobs_failed: int = 0
    jobs_abandoned: int = 0
    stale_discarded: int = 0
    stale_checks: int = 0
    stale_hits: int = 0
    attachment_sum: int = 0
    attachment_jobs: int = 0
    abandon_latency: LatencyWindow = field(default_factory=LatencyWindow)

    def request_ended(self, outcome: Outcome) -> None:
        self.requests_by_outcome[outcome.value] = self.requests_by_outcome.get(outcome.value, 0) + 1

    def job_stopped(self, job: Job) -> None:
        """A job dropped unfinished: discarded as stale, or abandoned."""
        if job.stale:
            self.stale_discarded += 1
        else:
            self.jobs_abandoned += 1

    def job_checked(self, wanted: bool) -> None:
        self.stale_checks += 1
        if not wanted:
            self.stale_hits += 1

    def job_finished(self, job: Job, failed: bool) -> None:
        if failed:
            self.jobs_failed += 1
        else:
            kind = job.spec.kind
            self.jobs_completed[kind] = self.jobs_completed.get(kind, 0) + 1
        if job.peak_attachments:
            self.attachment_sum += job.peak_attachments
            self.attachment_jobs += 1


def status_snapshot(
    registry: Registry, visible: Callable[[Request], bool] | None = None
) -> dict[str, Any]:
    """The lifecycle part of the `status` reply (docs/PROTOCOL.md keys).

    With `visible`, `attached` lists only the jobs a visible request waits on,
    naming only visible peers; the rest show as counts in `attached_others`
    (another user's handle is that user's data)."""
    from glurpcd.lifecycle import JobState, Outcome

    counters = registry.counters
    jobs = registry.jobs()
    tables = registry.table_sizes()
    waited_on = [job for job in jobs if job.requests]
    shown = [
        job
        for job in waited_on
        if visible is None or any(visible(r) for r in job.requests.values())
    ]
    hidden = [job for job in waited_on if job not in shown]
    states = [job.state for job in jobs]
    checks = counters.stale_checks
    return {
        "requests": {
            "active": tables["requests"],
            "total": registry.last_request_id,
            **{o.value: counters.requests_by_outcome.get(o.value, 0) for o in Outcome},
        },
        "jobs": {
            "queued": states.count(JobState.QUEUED),
            "running": states.count(JobState.RUNNING) + tables["orphans"],
            "completed": sum(counters.jobs_completed.values()),
            "abandoned": counters.jobs_abandoned,
            "stale_discarded": counters.stale_discarded,
            "failed": counters.jobs_failed,
            "completed_by_kind": dict(counters.jobs_completed),
            "average_attachments": (
                counters.attachment_sum / counters.attachment_jobs
                if counters.attachment_jobs
                else None
            ),
            "stale_check_hit_rate": counters.stale_hits / checks if checks else None,
        },
        "attached": [_attached(job, visible) for job in shown],
        "attached_others": {
            "jobs": len(hidden),
            "requests": sum(len(job.requests) for job in hidden),
        },
        "tables": tables,
        "latency_ms": {
            "disconnect_to_abandon_p50": counters.abandon_latency.percentile_ms(50),
            "disconnect_to_abandon_p99": counters.abandon_latency.percentile_ms(99),
        },
    }


def _attached(job: Job, visible: Callable[[Request], bool] | None) -> dict[str, Any]:
    return {
        "key": job.key,
        "kind": job.spec.kind,
        "handle": job.spec.handle,
        "index": job.spec.index,
        "requests": len(job.requests),
        "priority": int(job.priority),
        "state": job.state.value,
        # For whom: an operator's `glurpc status` names the waiting clients.
        "peers": sorted({r.peer for r in job.requests.values() if visible is None or visible(r)}),
    }
