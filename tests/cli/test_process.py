"""The CLI as a real process: it runs as a module, Ctrl-C exits 130 and cancels by
closing. (What it imports is checked in tests/test_layers.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from .fake_daemon import FakeDaemon

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_help_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glurpc_cli", "--help"], env=_env(), capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: glurpc")


def test_ctrl_c_exits_130_and_closes_the_connection(fake: FakeDaemon, tmp_path: Path) -> None:
    fake.handlers["plot"] = lambda args: []  # a plot that never finishes
    source = tmp_path / "cgm.csv"
    source.write_bytes(b"timestamp,glucose\n")
    command = [sys.executable, "-m", "glurpc_cli", "--socket", str(fake.path), "--no-autostart"]
    with subprocess.Popen(
        [*command, "plot", str(source)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as cli:
        assert fake.received.wait(30), "the CLI never sent its request"
        cli.send_signal(signal.SIGINT)
        _, stderr = cli.communicate(timeout=30)
    assert cli.returncode == 130, stderr
    assert fake.disconnected.wait(5)
    assert not (tmp_path / "cgm_i0.png").exists()


def test_ctrl_c_stops_a_batch_with_130(fake: FakeDaemon, tmp_path: Path) -> None:
    plots_waiting = threading.Semaphore(0)

    def never_finishes(args: dict) -> list:
        plots_waiting.release()
        return []

    fake.handlers["plot"] = never_finishes
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_bytes(b"timestamp,glucose\n")
    command = [sys.executable, "-m", "glurpc_cli", "--socket", str(fake.path), "--no-autostart"]
    batch = [*command, "plot", "a.csv", "b.csv", "-i", "0..2", "-o", "out/", "-j", "2"]
    with subprocess.Popen(
        batch, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as cli:
        for _ in range(2):  # both workers are blocked in a plot
            assert plots_waiting.acquire(timeout=30)
        cli.send_signal(signal.SIGINT)
        _, stderr = cli.communicate(timeout=30)
    assert cli.returncode == 130, stderr
    assert list((tmp_path / "out").iterdir()) == []
