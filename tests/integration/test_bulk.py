"""Many windows in one request fill whole model batches, with progress frames, and
the results are the same numbers single-window requests give (real daemon)."""

from __future__ import annotations

import math

import pytest

from .daemons import launch
from .samples import cgm_csv

SAMPLES, BATCH_ROWS = 10, 80


@pytest.fixture(scope="module")
def batching_daemon(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("bulk")
    process = launch(
        base / "run" / "glurpcd.sock",
        base / "state",
        "--precompute-hours", "0",
        "--samples", str(SAMPLES),
        "--batch-rows", str(BATCH_ROWS),
        "--render-workers", "1",
    )  # fmt: skip
    yield process
    process.stop()


def _batches(conn) -> int:
    return int(conn.call("status")["data"]["engine"]["model_batches"])


def test_forty_windows_take_five_full_batches(batching_daemon) -> None:
    upload = cgm_csv(hours=14, seed=5)
    indices = [-n for n in range(40)]
    with batching_daemon.connect() as conn:
        handle = conn.call("process", {"csv": upload})["data"]["handle"]
        before = _batches(conn)
        msg_id = conn.request("forecast", {"handle": handle, "indices": indices})
        frames = []
        while True:
            frame = conn.receive()
            if frame.get("id") != msg_id:
                continue
            frames.append(frame)
            if frame["type"] != "progress":
                break
        after = _batches(conn)
        single = conn.call("forecast", {"handle": handle, "index": -7})["data"]
    assert frames[-1]["type"] == "result", frames[-1]
    windows = frames[-1]["data"]["forecasts"]
    assert [w["index"] for w in windows] == indices
    # One window per request would take 40 batches of 10 rows.
    assert after - before == math.ceil(len(indices) * SAMPLES / BATCH_ROWS)
    progress = [f for f in frames if f["type"] == "progress" and f["stage"] == "inference"]
    assert progress and progress[-1]["done"] == progress[-1]["total"] == 5
    assert single["median"] == windows[7]["median"]  # cached by the batch, same numbers
