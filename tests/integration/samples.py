"""Inputs and measurements for integration tests: seeded CGM uploads, a
published-size checkpoint with random weights, process CPU and memory, and a
wait on a status condition."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

WAIT_S = 120.0


def cgm_csv(hours: float, seed: int) -> bytes:
    """A Dexcom Clarity export of `hours` of seeded synthetic glucose."""
    from tests.support.synthetic import make_trace, to_dexcom

    times, values = make_trace(days=hours / 24, seed=seed)
    return to_dexcom(times, values)


def published_size_checkpoint(path: Path) -> Path:
    """A state dict with the published configuration (random, seeded weights)."""
    from tests.support.checkpoints import save_random_checkpoint

    save_random_checkpoint(path, seed=3)
    return path


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def wait_for_status(conn: Any, condition: Callable[[dict], bool], timeout: float = WAIT_S) -> dict:
    """Ask for status until `condition` holds. Each round trip blocks on the
    socket, so this waits on the daemon rather than on a clock."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = conn.call("status")["data"]
        if condition(status):
            return status
    raise TimeoutError("status condition never held")
