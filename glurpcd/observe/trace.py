"""What one request touched and where its time went, for its log line.

Layer: observation. Ops fill in the handle and windows; the engine adds the
time a request spent waiting for queued jobs and for running ones; the
connection writes the line when the request ends. Nothing here affects a
reply.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from glurpcd.observe.logfields import log_field

HANDLE_PREFIX = 12  # as `glurpc status` shows handles


@dataclass
class RequestTrace:
    handle: str | None = None
    subject: str | None = None
    windows: list[int] = field(default_factory=list)
    queue_s: float = 0.0
    compute_s: float = 0.0

    def waited(self, attached_at: float, started_at: float | None, now: float) -> None:
        """Account the wait for one job: queued until it started, then computing."""
        began = now if started_at is None else max(attached_at, started_at)
        self.queue_s += max(0.0, began - attached_at)
        self.compute_s += max(0.0, now - began)


def request_fields(
    trace: RequestTrace,
    *,
    request_id: int,
    peer_uid: int,
    peer_pid: int,
    op: str,
    outcome: str,
    code: str | None,
    total_s: float,
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "peer_uid": peer_uid,
        "peer_pid": peer_pid,
        # The op and the subject are the client's text: escaped and bounded.
        "op": log_field(op),
        "handle": trace.handle[:HANDLE_PREFIX] if trace.handle else None,
        "subject": None if trace.subject is None else log_field(trace.subject),
        "windows": list(trace.windows),
        "outcome": outcome,
        "code": code,
        "queue_ms": round(trace.queue_s * 1000, 1),
        "compute_ms": round(trace.compute_s * 1000, 1),
        "total_ms": round(total_s * 1000, 1),
    }


def _plain(value: Any) -> str:
    if value is None or value == []:
        return "-"
    if isinstance(value, list):
        return ",".join(map(str, value))
    text = str(value)  # printable already (log_field); keep key=value parseable
    if any(ch.isspace() or ch in '="' for ch in text):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def log_request(log: logging.Logger, fields: dict[str, Any]) -> None:
    """One INFO line; as JSON, the fields are the object's keys."""
    text = " ".join(f"{key}={_plain(value)}" for key, value in fields.items())
    log.info("%s", text, extra=fields)
