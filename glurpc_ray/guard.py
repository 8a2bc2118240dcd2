"""Output files that are whole or absent, even when a run is cancelled mid-write.

Layer: cohort engine, file system only (runs in the driver and in Ray tasks).
Tasks write each image to a temporary name in the output directory, then
rename it over the target, so a reader (or `--skip-existing`) never sees a torn
file. A task killed between the two steps would leave its temporary behind,
and a task still running when the user presses Ctrl-C could write after the
driver has cleaned up. The run's marker file closes both gaps: a writer holds a
shared lock on it while it writes, and only writes while the marker exists;
the driver cancels by taking the exclusive lock (waiting out writes in
flight, and inheriting the lock of any writer that died), unlinking the
marker, and removing the temporaries named with this run's token, which only
this run creates. Locks are flock(2): local file systems and NFSv4.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .pause import pause


@dataclass(frozen=True)
class OutputGuard:
    directory: Path
    token: str

    @property
    def marker(self) -> Path:
        return self.directory / f".glurpc-run-{self.token}"

    @classmethod
    def create(cls, directory: Path) -> OutputGuard:
        guard = cls(directory, secrets.token_hex(8))
        os.close(os.open(guard.marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return guard

    def temporary(self, target: Path) -> Path:
        return target.with_name(f".{target.name}.{self.token}.part")

    def write(self, target: Path, data: bytes) -> bool:
        """Write `target` atomically; False (nothing written) once the run is cancelled."""
        try:
            marker = os.open(self.marker, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(marker, fcntl.LOCK_SH)
            if os.fstat(marker).st_nlink == 0:  # unlinked while we waited: cancelled
                return False
            self._replace(target, data)
            return True
        finally:
            os.close(marker)  # releases the lock

    def _replace(self, target: Path, data: bytes) -> None:
        temporary = self.temporary(target)
        try:
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            pause("write")  # a rehearsal may kill this writer or its node here
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def cancel(self, on_wait: Callable[[], None] = lambda: None) -> list[Path]:
        """Stop every writer of this run and remove what they left half-done.

        `on_wait` is called when a write in flight makes it wait for its lock."""
        try:
            marker = os.open(self.marker, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            try:
                fcntl.flock(marker, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                on_wait()
                fcntl.flock(marker, fcntl.LOCK_EX)
            self.marker.unlink(missing_ok=True)
        finally:
            os.close(marker)
        leftovers = sorted(self.directory.glob(f".*.{self.token}.part"))
        for path in leftovers:
            path.unlink(missing_ok=True)
        return leftovers

    def finish(self) -> None:
        """The run ended normally: every write has landed; drop the marker."""
        self.marker.unlink(missing_ok=True)
