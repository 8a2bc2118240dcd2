"""Bounded buffering, descriptors, large uploads and background work, against
real daemons over their Unix sockets (bounded in count and time)."""

from __future__ import annotations

import os
import resource
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from glurpc_wire import messages as wire
from glurpcd.engine.parse_child import CHILD_PROCESS_BYTES

from .daemons import launch_under
from .samples import cgm_csv, published_size_checkpoint, wait_for_status

pytestmark = pytest.mark.integration

DEADLINE_S = 60.0
LOWERED_SOFT_LIMIT = 256


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    base = tmp_path_factory.mktemp("limited")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(LOWERED_SOFT_LIMIT, hard), hard))
    try:
        daemon = launch_under(
            base,
            "--max-connections",
            "4",
            "--write-timeout",
            "2",
            "--max-upload-mb",
            "16",
            "--precompute-hours",
            "0",
            "--render-workers",
            "1",
        )
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    yield daemon
    daemon.stop()


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _until(conn, condition, what: str) -> None:
    """Wait on a condition the daemon's own progress makes true (bounded). Each
    round is paced by a ping round trip on `conn`, not by a clock."""
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        assert conn.call("ping")["data"] == {"pong": True}


def _prepared(conn) -> int:
    return conn.call("status")["data"]["jobs"]["completed_by_kind"].get("prepare", 0)


def test_soft_descriptor_limit_is_raised_to_the_hard_one(limited):
    limits = Path(f"/proc/{limited.process.pid}/limits").read_text()
    line = next(line for line in limits.splitlines() if line.startswith("Max open files"))
    soft, hard = line.split()[3:5]
    assert soft == hard, line


def test_connections_past_the_limit_get_a_coded_refusal(limited):
    with limited.connect() as first, limited.connect(), limited.connect(), limited.connect():
        with limited.connect(hello=False) as extra:
            frame = extra.receive()
            assert frame["code"] == "overloaded" and frame["details"]["reason"] == "connections"
            assert extra.closed_by_peer()
        first.close()
        with limited.connect(hello=False) as refused_until_one_closes:
            refused_until_one_closes.send(wire.hello("t/1"))
            reply = refused_until_one_closes.receive()
            # The closed connection may not be reaped yet: either answer is coded.
            assert reply["type"] == "hello" or reply["code"] == "overloaded"
    assert "refused 1 connection(s)" in limited.log()


def test_a_client_that_never_reads_is_dropped_and_others_keep_pinging(limited):
    with limited.connect() as probe:
        handle = probe.call("process", {"csv": cgm_csv(hours=12, seed=21)})["data"]["handle"]
        image = probe.call("plot", {"handle": handle, "index": 0})["data"]["image"]
        requests = 2 * (4 * 1024 * 1024) // len(image) + 50  # twice the high-water mark
        with limited.connect() as hog:
            for n in range(requests):
                hog.send(wire.request(n + 1, "plot", {"handle": handle, "index": 0}))
            status = wait_for_status(probe, lambda s: s["connections"] == 1, timeout=DEADLINE_S)
            assert status["requests"]["active"] == 1  # only the status call itself
        assert probe.call("ping")["data"] == {"pong": True}
    assert "dropped: results left unread" in limited.log()


def test_an_upload_over_the_limit_is_invalid_data_with_its_size(limited):
    with limited.connect() as conn:
        reply = conn.call("process", {"csv": b"x" * (16 * 1024 * 1024 + 1)})
    assert reply["code"] == "invalid_data" and reply["details"]["reason"] == "too_large"


def test_a_large_upload_is_parsed_in_a_child_killed_when_its_client_leaves(limited):
    csv = cgm_csv(hours=24 * 300, seed=5)  # about 5.5 MB: over the child-process size
    baseline = _children(limited.process.pid)
    with limited.connect() as bystander:
        prepared_before = _prepared(bystander)
        uploader = limited.connect()
        msg_id = uploader.request("process", {"csv": csv})

        def parsing_children() -> set[int]:
            return _children(limited.process.pid) - baseline

        _until(bystander, parsing_children, "no parsing child started")
        assert bystander.call("ping")["data"] == {"pong": True}
        uploader.close()
        _until(bystander, lambda: not parsing_children(), "parsing child still runs")
        wait_for_status(bystander, lambda s: s["requests"]["active"] == 1)
        assert _prepared(bystander) == prepared_before, msg_id
    assert "parsing stopped" in limited.log()


@pytest.fixture(scope="module")
def slow_background(tmp_path_factory):
    base = tmp_path_factory.mktemp("background")
    daemon = launch_under(
        base,
        "--model",
        str(published_size_checkpoint(base / "published.pth")),
        "--samples",
        "120",
        "--batch-rows",
        "20",
        "--precompute-hours",
        "2",
        "--background-jobs",
        "4",
        "--background-jobs-per-uid",
        "3",
        "--render-workers",
        "0",
    )
    yield daemon
    daemon.stop()


def test_background_work_is_capped_per_uid_oldest_upload_dropped_first(slow_background):
    with slow_background.connect() as conn:
        for seed in (31, 32, 33):
            conn.call("process", {"csv": cgm_csv(hours=12, seed=seed)})
            background = conn.call("status")["data"]["engine"]["background"]
            assert background["queued"] <= 3, background
        status = conn.call("status")["data"]
    background = status["engine"]["background"]
    assert background["dropped"] >= 3, background
    assert background["by_uid"] == {str(os.getuid()): background["queued"]}
    assert status["jobs"]["queued"] <= 3


def _many_lines(rows: int) -> bytes:
    start = datetime(2024, 1, 1)
    lines = [
        f"{start + timedelta(minutes=5 * n):%Y-%m-%d %H:%M:%S},{100 + n % 50}" for n in range(rows)
    ]
    return ("time,gl\n" + "\n".join(lines) + "\n").encode()


def test_a_file_of_too_many_lines_is_refused_before_any_parse(limited):
    with limited.connect() as conn:
        before = _prepared(conn)
        reply = conn.call("process", {"csv": b"1\n" * 2_000_000})  # 4 MB, 2 million lines
        assert reply["code"] == "invalid_data" and reply["details"]["reason"] == "too_large"
        assert reply["details"]["lines"] > 1_500_000 and _prepared(conn) == before


def test_a_small_file_of_many_lines_is_parsed_in_a_child(limited):
    table = _many_lines(150_000)  # 3.6 MB: under the child's size, over its line count
    assert len(table) < CHILD_PROCESS_BYTES
    baseline = _children(limited.process.pid)
    with limited.connect() as bystander, limited.connect() as uploader:
        msg_id = uploader.request("process", {"csv": table})
        _until(bystander, lambda: _children(limited.process.pid) - baseline, "no parsing child")
        assert uploader.final(msg_id)["type"] == "result"


def test_a_plot_too_large_for_one_reply_is_refused_before_it_is_drawn(limited):
    with limited.connect() as conn:
        handle = conn.call("process", {"csv": cgm_csv(hours=24, seed=8)})["data"]["handle"]
        drawn = conn.call("status")["data"]["jobs"]["completed_by_kind"].get("image", 0)
        many = [-n for n in range(100)]  # about 54 MB drawn: the estimate says 67 MB
        reply = conn.call("plot", {"handle": handle, "indices": many, "dpi": 600})
        assert reply["code"] == "frame_too_large"
        assert reply["details"]["reason"] == "reply_too_large"
        status = conn.call("status")["data"]
        assert status["jobs"]["completed_by_kind"].get("image", 0) == drawn
        fits = conn.call("plot", {"handle": handle, "indices": [0, -1], "dpi": 600})
        assert fits["type"] == "result" and len(fits["data"]["images"]) == 2
