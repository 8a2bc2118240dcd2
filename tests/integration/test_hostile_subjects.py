"""Subject ids chosen by whoever wrote the file, through a real daemon and the
real `glurpc` CLI: ids that would share a file name get one file each, an
escape sequence in an id reaches the terminal escaped, and listing a table of
many subjects reads it once, not once per subject."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support import synthetic as syn

from .daemons import DaemonProcess

ESCAPE_ID = "\x1b[2Jred"  # clears a terminal's screen when printed raw
COLLIDING_IDS = (".", "..", "a/b", "a_b", "_")


def cohort(ids: tuple[str, ...], seed: int) -> bytes:
    """A research table, each subject two days long (the ids as they are: the
    CSV writer of a study would quote them no differently)."""
    raw = b""
    for number, subject in enumerate(ids):
        times, values = syn.make_trace(days=2, seed=seed + number)
        raw += syn.to_generic(times, values, subject=subject, header=number == 0)
    return raw


def glurpc(daemon: DaemonProcess, *args: str) -> subprocess.CompletedProcess[bytes]:
    done = subprocess.run(daemon.cli(*args), capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done


def test_ids_that_share_a_file_name_get_one_file_each(daemon, tmp_path: Path) -> None:
    # The escaping id comes last: the upload gate refuses a file whose first
    # 64 KiB are more than 1% control characters.
    path = tmp_path / "cohort.csv"
    path.write_bytes(cohort((*COLLIDING_IDS, ESCAPE_ID), seed=40))
    out = tmp_path / "plots"
    done = glurpc(daemon, "plot", str(path), "--subject", "all", "-i", "0", "-o", f"{out}/")
    written = sorted(p.name for p in out.iterdir())
    assert len(written) == len(COLLIDING_IDS) + 1, written
    assert "cohort_a_b_i0.png" in written  # an id that is a plain name keeps it
    assert b"\x1b" not in done.stdout + done.stderr


def test_process_prints_subject_ids_escaped(daemon, tmp_path: Path) -> None:
    path = tmp_path / "cohort.csv"
    path.write_bytes(cohort(("a", "b", "c", "d", ESCAPE_ID), seed=50))
    done = glurpc(daemon, "process", str(path))
    assert b"\x1b" not in done.stdout + done.stderr
    assert b"\\x1b[2Jred" in done.stdout


def _parses(daemon: DaemonProcess, path: Path) -> int:
    """Parsing jobs one `process` of `path` ran (the daemon's own job counts)."""

    def completed() -> int:
        status = json.loads(glurpc(daemon, "status", "--json").stdout)
        kinds = status["jobs"]["completed_by_kind"]
        return sum(kinds.get(kind, 0) for kind in ("prepare", "subjects"))

    before = completed()
    listing = json.loads(glurpc(daemon, "process", str(path), "--json").stdout)
    assert all("windows" in entry for entry in listing["subjects"])
    return completed() - before


def test_listing_a_table_reads_it_once_whatever_its_subjects(daemon, tmp_path: Path) -> None:
    few, many = tmp_path / "few.csv", tmp_path / "many.csv"
    few.write_bytes(cohort(("a", "b"), seed=60))
    many.write_bytes(cohort(tuple(f"s{n}" for n in range(8)), seed=70))
    assert _parses(daemon, few) == _parses(daemon, many) <= 2
