"""Many windows in one request fill whole model batches, with progress frames, and
the results are the same numbers single-window requests give (real daemon)."""

from __future__ import annotations

import math

import pytest

from .daemons import launch_under
from .samples import cgm_csv, wait_for_status

pytestmark = pytest.mark.integration

SAMPLES, BATCH_ROWS = 10, 80


@pytest.fixture(scope="module")
def batching_daemon(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("bulk")
    process = launch_under(
        base,
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


def test_closing_the_connection_stops_a_bulk_forecast_within_a_batch(batching_daemon) -> None:
    upload = cgm_csv(hours=4 * 24, seed=6)
    indices = [-n for n in range(1000)]  # 125 batches of 80 rows
    with batching_daemon.connect() as watcher:
        handle = watcher.call("process", {"csv": upload})["data"]["handle"]
        before = watcher.call("status")["data"]
        asker = batching_daemon.connect()
        msg_id = asker.request("forecast", {"handle": handle, "indices": indices})
        while True:  # the job is running once its first batch is reported
            frame = asker.receive()
            if frame.get("id") == msg_id and frame.get("stage") == "inference":
                if frame.get("done", 0) >= 1:
                    break
        asker.close()  # what Ctrl-C does: the daemon sees EOF
        after = wait_for_status(
            watcher,
            lambda s: s["jobs"]["running"] == 0 and not s["attached"],
        )
        assert watcher.call("ping")["data"] == {"pong": True}
    ran = after["engine"]["model_batches"] - before["engine"]["model_batches"]
    assert 1 <= ran < math.ceil(len(indices) * SAMPLES / BATCH_ROWS) // 2
    assert after["jobs"]["abandoned"] == before["jobs"]["abandoned"] + 1
