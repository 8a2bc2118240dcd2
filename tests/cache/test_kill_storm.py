"""A SIGKILL during a storm of cache writes never leaves a file that is served
torn: after reopening, every entry verifies or is rejected and removed, and
every write the child reported as done is still there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from glurpcd.cache import CacheStore
from glurpcd.cache.entryfile import TEMP_PREFIX
from glurpcd.cache.keys import key_from_relative

from .payloads import payload_for
from .storm_writer import number_of, storm_key, storm_size

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def storm_until(directory: Path, first: int, kill_at: int) -> set[int]:
    """Run the writer, SIGKILL it as soon as it starts entry `kill_at`;
    returns the entries it reported finished."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.cache.storm_writer", str(directory), str(first), "100000"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None
    done: set[int] = set()
    try:
        for line in child.stdout:
            event, number = line.split()
            if event == "done":
                done.add(int(number))
            elif int(number) == kill_at:
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    return done


def entry_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and not p.name.startswith(TEMP_PREFIX)]


def check_reopened_store(directory: Path, finished: set[int]) -> None:
    root = directory / "v1"
    store = CacheStore(directory, memory_bytes=0, disk_bytes=1 << 40)
    assert not list(root.rglob(f"{TEMP_PREFIX}*")), "temp files survive reopen"
    for number in finished:
        key = storm_key(number)
        assert store.get(key) == payload_for(key, storm_size(number)), f"lost entry {number}"
    for path in entry_files(root):
        found = key_from_relative(path.relative_to(root).parts)
        assert found is not None
        data = store.get(found)
        expected = payload_for(found, storm_size(number_of(found)))
        assert data is None or data == expected, f"torn entry served: {path}"
        assert data is not None or not path.exists(), "rejected file left on disk"
    assert store.info()["persisted"] == len(entry_files(root))


@pytest.mark.timeout(120)
def test_sigkill_during_write_storm_never_serves_a_torn_entry(tmp_path: Path) -> None:
    """Rounds of storm-then-kill on one directory, each checked after reopening.
    About half the kills land inside a write (they leave a temp file); rounds
    go on until at least one has, so the torn case is always exercised."""
    finished: set[int] = set()
    cut_mid_write = 0
    for round_number in range(40):
        first = round_number * 1000  # each round writes fresh keys
        finished |= storm_until(tmp_path, first, first + 9 + round_number % 7)
        cut_mid_write += bool(list((tmp_path / "v1").rglob(f"{TEMP_PREFIX}*")))
        check_reopened_store(tmp_path, finished)
        if round_number >= 5 and cut_mid_write:
            break
    assert cut_mid_write, "no kill landed inside a write in 40 rounds"
