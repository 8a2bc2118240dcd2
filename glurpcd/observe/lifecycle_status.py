"""The lifecycle's part of the `status` reply.

Layer: observation of the lifecycle (event loop only, no I/O). `status_snapshot`
reads the registry's tables and its counters (counters.py) into the keys that
docs/PROTOCOL.md "Status" lists. Nothing here changes what the lifecycle does,
and the lifecycle never imports this module.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glurpcd.lifecycle import Job, JobState, Outcome, Registry, Request


def status_snapshot(
    registry: Registry, visible: Callable[[Request], bool] | None = None
) -> dict[str, Any]:
    """The lifecycle part of the `status` reply (docs/PROTOCOL.md keys).

    With `visible`, `attached` lists only the jobs a visible request waits on,
    naming only visible peers; the rest show as counts in `attached_others`
    (another user's handle is that user's data)."""
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
