"""The test side of glurpc_ray/pause.py: put a cue at a pause point, wait until
a worker holds there, learn its node and pid, then let every worker go on."""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

HOLD_TIMEOUT_S = 600.0
POLL_S = 0.05


@dataclass(frozen=True)
class Held:
    node_id: str
    pid: int


@dataclass
class Cue:
    folder: Path
    point: str  # "chunk" or "write"
    released: int | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        os.mkfifo(self.folder / self.point)

    def held(self, run: subprocess.Popen[str], on: set[str] | None = None) -> Held:
        """The first worker held at the point (on one of the nodes `on`, when
        given); the test fails if the run ends first."""
        deadline = time.monotonic() + HOLD_TIMEOUT_S
        while time.monotonic() < deadline:
            for path in self.folder.glob(f"{self.point}-held-*"):
                node_id = path.name.removeprefix(f"{self.point}-held-")
                if on is None or node_id in on:
                    return Held(node_id, int(path.read_text()))
            if run.poll() is not None:
                raise AssertionError(f"the run ended ({run.returncode}) before a worker held")
            time.sleep(POLL_S)  # a condition polled, not a race waited out
        raise AssertionError(f"no worker held at {self.point} in {HOLD_TIMEOUT_S:.0f} s")

    def release(self) -> None:
        """Every held worker goes on, and later ones do not stop (a writer stays open)."""
        if self.released is None:
            self.released = os.open(self.folder / self.point, os.O_RDWR)

    def close(self) -> None:
        self.release()  # nobody stays blocked on the cue once it is gone
        (self.folder / self.point).unlink()
        for path in self.folder.glob(f"{self.point}-held-*"):
            path.unlink()
        assert self.released is not None
        os.close(self.released)
