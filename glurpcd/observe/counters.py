"""What the lifecycle counts as requests and jobs end (event loop only, no I/O).

Layer: observation. The registry (glurpcd/lifecycle.py) feeds plain values in;
lifecycle_status.py reads them into the `status` reply. This module knows
nothing of the lifecycle's types, so the lifecycle can own one without a
circle of imports.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from glurpcd.observe.metrics import LatencyWindow


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

    def request_ended(self, outcome: str) -> None:
        self.requests_by_outcome[outcome] = self.requests_by_outcome.get(outcome, 0) + 1

    def job_stopped(self, stale: bool) -> None:
        """A job dropped unfinished: discarded as stale, or abandoned."""
        if stale:
            self.stale_discarded += 1
        else:
            self.jobs_abandoned += 1

    def job_checked(self, wanted: bool) -> None:
        self.stale_checks += 1
        if not wanted:
            self.stale_hits += 1

    def job_finished(self, kind: str, failed: bool, peak_attachments: int) -> None:
        if failed:
            self.jobs_failed += 1
        else:
            self.jobs_completed[kind] = self.jobs_completed.get(kind, 0) + 1
        if peak_attachments:
            self.attachment_sum += peak_attachments
            self.attachment_jobs += 1
