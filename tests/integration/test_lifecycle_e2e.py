"""The request lifecycle end to end: real daemon, real sockets, real `plot`.

The daemon runs a published-size Gluformer (random weights) with many
MC-dropout samples split into small batches, so one window's inference takes
several forward passes and a disconnect lands mid-inference. The tests wait
on progress frames and on status conditions, never on time."""

from __future__ import annotations

import io
import os
import signal
import subprocess

import pytest
from PIL import Image

from .daemons import launch_under
from .samples import cgm_csv, cpu_seconds, published_size_checkpoint, wait_for_status

pytestmark = pytest.mark.integration

SAMPLES = 120
BATCH_ROWS = 20
BATCHES_PER_WINDOW = SAMPLES // BATCH_ROWS


@pytest.fixture(scope="module")
def slow_daemon(tmp_path_factory):
    base = tmp_path_factory.mktemp("slow")
    checkpoint = published_size_checkpoint(base / "published.pth")
    daemon = launch_under(
        base,
        "--model",
        str(checkpoint),
        "--samples",
        str(SAMPLES),
        "--batch-rows",
        str(BATCH_ROWS),
        "--precompute-hours",
        "0",
        "--render-workers",
        "1",
    )
    with daemon.connect() as conn:
        handle = conn.call("process", {"csv": cgm_csv(hours=12, seed=11)})["data"]["handle"]
    yield daemon, handle
    daemon.stop()


def _wait_for_inference(conn, msg_id):
    """Block until this request's inference has finished at least one batch."""
    while True:
        frame = conn.receive()
        assert frame.get("id") == msg_id and frame["type"] == "progress", frame
        if frame["stage"] == "inference" and frame["done"] >= 1:
            return


def _counters(conn):
    status = conn.call("status")["data"]
    return {
        "forecasts": status["jobs"]["completed_by_kind"].get("forecast", 0),
        "images": status["jobs"]["completed_by_kind"].get("image", 0),
        "abandoned": status["jobs"]["abandoned"],
        "cancelled": status["requests"]["cancelled"],
        "batches": status["engine"]["model_batches"],
    }


def test_four_of_five_leave_mid_inference_fifth_gets_png(slow_daemon):
    daemon, handle = slow_daemon
    with daemon.connect() as observer:
        before = _counters(observer)
        clients = [daemon.connect() for _ in range(5)]
        ids = [c.request("plot", {"handle": handle, "index": -1}) for c in clients]
        for client, msg_id in zip(clients, ids, strict=True):
            _wait_for_inference(client, msg_id)
        for client in clients[:4]:
            client.close()
        final = clients[4].final(ids[4])
        clients[4].close()
        assert final["type"] == "result", final
        image = Image.open(io.BytesIO(final["data"]["image"]))
        assert image.format == "PNG" and image.size[0] > 500
        after = _counters(observer)
    assert after["forecasts"] - before["forecasts"] == 1  # one computation for all five
    assert after["images"] - before["images"] == 1
    assert after["abandoned"] == before["abandoned"]
    assert after["cancelled"] - before["cancelled"] == 4


def test_all_leave_and_inference_stops_within_one_batch(slow_daemon):
    daemon, handle = slow_daemon
    pid = daemon.process.pid
    with daemon.connect() as observer:
        clients = [daemon.connect() for _ in range(5)]
        ids = [c.request("plot", {"handle": handle, "index": -2}) for c in clients]
        for client, msg_id in zip(clients, ids, strict=True):
            _wait_for_inference(client, msg_id)
        before = _counters(observer)
        cpu_at_disconnect = cpu_seconds(pid)
        for client in clients:
            client.close()
        # The model worker is single and FIFO: the observer's forecast starts
        # its inference only once the abandoned job has given up the model.
        probe = observer.request("forecast", {"handle": handle, "index": -3})
        while (frame := observer.receive())["stage"] != "inference":
            assert frame["type"] == "progress", frame
        cpu_after = cpu_seconds(pid)
        assert observer.final(probe)["type"] == "result"
        after = _counters(observer)
        status = observer.call("status")["data"]
    spent = after["batches"] - before["batches"] - BATCHES_PER_WINDOW
    print(
        f"batches after disconnect: {spent}; CPU after disconnect until abandoned: "
        f"{cpu_after - cpu_at_disconnect:.2f} s"
    )
    assert status["attached"] == []
    assert after["abandoned"] - before["abandoned"] == 1
    assert after["forecasts"] - before["forecasts"] == 1  # only the observer's
    assert spent <= 2, "inference went on after its last client left"


def test_sigint_on_cli_exits_130_and_spares_the_identical_request(slow_daemon, tmp_path):
    daemon, handle = slow_daemon
    csv_path = tmp_path / "cgm.csv"
    csv_path.write_bytes(cgm_csv(hours=12, seed=11))  # same upload -> same handle
    with daemon.connect() as observer, daemon.connect() as survivor:
        before = _counters(observer)
        msg_id = survivor.request("plot", {"handle": handle, "index": -4})
        _wait_for_inference(survivor, msg_id)
        cli = subprocess.Popen(
            daemon.cli(
                "plot",
                str(csv_path),
                "--index",
                "4",
                "-o",
                str(tmp_path / "out.png"),
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "COLUMNS": "80"},
        )
        wait_for_status(
            observer,
            lambda s: any(
                job["kind"] == "forecast" and job["index"] == -4 and job["requests"] == 2
                for job in s["attached"]
            ),
        )
        cli.send_signal(signal.SIGINT)
        _, stderr = cli.communicate(timeout=60)
        assert cli.returncode == 130, stderr.decode()
        final = survivor.final(msg_id)
        assert final["type"] == "result", final
        assert final["data"]["image"].startswith(b"\x89PNG")
        after = _counters(observer)
    assert not (tmp_path / "out.png").exists()
    assert after["forecasts"] - before["forecasts"] == 1
    assert after["cancelled"] - before["cancelled"] == 1
