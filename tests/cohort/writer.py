"""A writer process for the guard tests: it starts one guarded write, stops
inside it (temporary written, not yet renamed), says so on stdout, and waits
to be killed: a Ray task killed mid-write, caught at its worst moment."""

from __future__ import annotations

import sys
from pathlib import Path

from glurpc_ray.guard import OutputGuard


class StuckGuard(OutputGuard):
    def _replace(self, target: Path, data: bytes) -> None:
        self.temporary(target).write_bytes(data[: len(data) // 2])
        print("writing", flush=True)
        sys.stdin.read()  # never returns: the test kills this process


if __name__ == "__main__":
    directory, token, target = sys.argv[1:]
    StuckGuard(Path(directory), token).write(Path(target), b"x" * 1000)
