"""Outputs of a cancelled run are whole or absent (glurpc_ray.guard), with a
real writer process killed in the middle of its write."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from glurpc_ray.guard import OutputGuard

WAIT_S = 60.0


def test_a_write_lands_whole_and_nothing_is_written_after_cancel(tmp_path: Path) -> None:
    guard = OutputGuard.create(tmp_path)
    assert guard.write(tmp_path / "a.png", b"image")
    assert (tmp_path / "a.png").read_bytes() == b"image"
    assert guard.cancel() == []
    assert not guard.write(tmp_path / "b.png", b"image")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_finish_leaves_only_the_outputs(tmp_path: Path) -> None:
    guard = OutputGuard.create(tmp_path)
    guard.write(tmp_path / "a.png", b"image")
    guard.finish()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_cancel_leaves_other_runs_files_alone(tmp_path: Path) -> None:
    mine, theirs = OutputGuard.create(tmp_path), OutputGuard.create(tmp_path)
    stray = theirs.temporary(tmp_path / "x.png")
    stray.write_bytes(b"half")
    mine.cancel()
    assert stray.exists() and theirs.marker.exists()


def test_cancel_waits_out_a_write_in_flight_and_removes_what_a_killed_writer_left(
    tmp_path: Path,
) -> None:
    guard = OutputGuard.create(tmp_path)
    target = tmp_path / "w.png"
    with subprocess.Popen(
        [sys.executable, "-m", "tests.cohort.writer", str(tmp_path), guard.token, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    ) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline() == "writing\n"
            swept: list[Path] = []
            waiting = threading.Event()
            cancelling = threading.Thread(target=lambda: swept.extend(guard.cancel(waiting.set)))
            cancelling.start()
            assert waiting.wait(WAIT_S), "cancel never waited for the writer's lock"
            assert guard.marker.exists() and guard.temporary(target).exists()
            writer.kill()  # dies mid-write: its lock goes with it
            cancelling.join(WAIT_S)
            assert not cancelling.is_alive()
        finally:
            writer.kill()
    assert swept == [guard.temporary(target)]
    assert list(tmp_path.iterdir()) == []
