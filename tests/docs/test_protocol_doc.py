"""docs/PROTOCOL.md names every error code, op, progress stage and attached-job
key the code can produce (the status reply of a real daemon is checked in
tests/integration/test_protocol_doc.py)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from glurpc_wire.codes import WIRE_CODES
from glurpc_wire.messages import Stage
from glurpcd.lifecycle import JobSpec, Registry
from glurpcd.observe.lifecycle_status import status_snapshot
from glurpcd.ops import Ops

DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


def documented_names() -> set[str]:
    """Every `code span` of the document."""
    return set(re.findall(r"`([^`\s]+)`", DOC.read_text(encoding="utf-8")))


class _AnyHandler:
    """Stands in for the ops' collaborators: every attribute is a handler, so
    the dispatch table is built exactly as the daemon builds it."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args: None


def test_every_wire_code_is_documented() -> None:
    assert sorted(str(code) for code in WIRE_CODES if str(code) not in documented_names()) == []


def test_every_op_and_stage_is_documented() -> None:
    handlers = [_AnyHandler() for _ in range(5)]
    ops = Ops(*handlers)  # type: ignore[arg-type]
    names = [name for name in ops._handlers]  # the dispatch table itself
    assert "plot" in names and "status" in names
    sections = set(re.findall(r"^### `(\w+)`", DOC.read_text(encoding="utf-8"), re.M))
    assert sorted(set(names) - sections) == []
    assert sorted(str(stage) for stage in Stage if str(stage) not in documented_names()) == []


def test_every_attached_job_key_is_documented() -> None:
    async def snapshot() -> dict[str, Any]:
        registry = Registry()
        request = registry.open_request("plot", "uid=1/pid=2")
        registry.attach(
            request, JobSpec("k", "forecast", "ab" * 32, -1), asyncio.get_running_loop()
        )
        return status_snapshot(registry)

    attached = asyncio.run(snapshot())["attached"]
    assert attached, "a job with a request attached is listed"
    assert sorted(set(attached[0]) - documented_names()) == []
