"""Shutdown, signals and damaged state against real daemons: every request
gets its final frame before its connection closes, a
read-only cache with leftovers still starts, and the CLI stops cleanly."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from glurpc_wire import messages as wire

from .daemons import QUIET, launch
from .samples import cgm_csv, published_size_checkpoint

pytestmark = pytest.mark.integration

SLOW = ("--samples", "120", "--batch-rows", "20", "--precompute-hours", "0")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return published_size_checkpoint(tmp_path_factory.mktemp("model") / "published.pth")


def _start_slow(base, checkpoint, *extra):
    return launch(
        base / "run" / "glurpcd.sock",
        base / "state",
        "--model",
        str(checkpoint),
        *SLOW,
        "--render-workers",
        "1",
        *extra,
    )


def test_grace_running_out_still_sends_every_final_frame(tmp_path, checkpoint):
    daemon = _start_slow(tmp_path, checkpoint, "--grace", "0.2")
    with contextlib.ExitStack() as stack:
        stack.callback(daemon.kill)
        conn = stack.enter_context(daemon.connect())
        handle = conn.call("process", {"csv": cgm_csv(hours=24, seed=41)})["data"]["handle"]
        sent = [conn.request("forecast", {"handle": handle, "index": -n}) for n in range(60)]
        first = conn.receive()  # the work is under way
        assert first["type"] == "progress"
        daemon.process.send_signal(signal.SIGTERM)
        finals = {}
        while True:
            try:
                frame = conn.receive()
            except (EOFError, ConnectionResetError):
                break
            if frame["type"] in ("result", "error"):
                assert frame["id"] not in finals, frame
                finals[frame["id"]] = frame
        assert set(finals) == set(sent)
        codes = {frame.get("code") for frame in finals.values()}
        assert "shutting_down" in codes and codes <= {None, "shutting_down"}
        assert daemon.process.wait(60) == 0


def _read_only(directory: Path) -> list[str]:
    """A wrapper making `directory` read-only for the daemon. Root ignores
    modes, so for root it is a read-only bind mount in a private namespace."""
    if os.getuid() != 0:
        directory.chmod(0o500)
        return []
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare(1) to make a directory read-only for root")
    script = 'mount --bind "$0" "$0" && mount -o remount,ro,bind "$0" && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, str(directory)]


def test_read_only_cache_with_a_leftover_temp_file_starts_with_one_warning(tmp_path):
    state = tmp_path / "state"
    cache = state / "cache" / "v1"
    leftover = cache / "ab" / ".tmp-123-abcdef"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a write")
    daemon = launch(
        tmp_path / "run" / "glurpcd.sock",
        state,
        *QUIET,
        prefix=_read_only(cache),
    )
    try:
        with daemon.connect() as conn:
            assert conn.call("ping")["data"] == {"pong": True}
        assert daemon.stop() == 0
    finally:
        daemon.kill()
    log = daemon.log()
    assert log.count("leftover temporary file") == 1, log
    assert "Traceback" not in log
    assert leftover.exists()
    assert not (tmp_path / "run" / "glurpcd.sock").exists()


def test_cli_batch_stops_with_one_line_and_a_true_summary(tmp_path, checkpoint):
    # Fewer samples than SLOW's (the later flag wins): the first image comes
    # sooner, and rendering the rest one at a time still outlasts the signal.
    daemon = _start_slow(tmp_path / "d", checkpoint, "--grace", "0.2", "--samples", "20")
    csv_path = tmp_path / "cgm.csv"
    csv_path.write_bytes(cgm_csv(hours=14, seed=43))
    out = tmp_path / "out"
    try:
        cli = subprocess.Popen(
            daemon.cli(
                "plot",
                str(csv_path),
                "--all",
                "--jobs",
                "2",
                "-o",
                f"{out}/",  # a trailing slash names a directory
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "80"},
        )
        with daemon.connect() as observer:
            while not (out.exists() and any(out.glob("*.png"))):
                observer.call("ping")  # paced by the daemon: a written image ends the wait
            daemon.process.send_signal(signal.SIGTERM)
        _, stderr = cli.communicate(timeout=120)
    finally:
        daemon.kill()
    lines = stderr.decode().strip().splitlines()
    assert sum("shutting down" in line for line in lines) == 1, lines
    written = int(lines[-1].split()[0])
    assert written == len(list(out.glob("*.png"))), lines
    assert cli.returncode != 0


def test_wire_hello_constant_is_the_integer_one():
    assert type(wire.PROTOCOL_VERSION) is int and wire.PROTOCOL_VERSION == 1
