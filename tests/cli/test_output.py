"""Terminal output (rich on a forced terminal), status text and the autostart ready pipe."""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console

from glurpc_cli.autostart import _wait_ready
from glurpc_cli.output import StageStatus, stage_text, write_output
from glurpc_cli.report import BatchReporter
from glurpc_cli.status_view import render_rich, render_text

STATUS = {
    "version": "0.1.0",
    "pid": 77,
    "uptime_s": 12.5,
    "device": "cuda:0",
    "model": {"id": "gluformer-large", "source": "hf-cache", "parameters": 11_000_000},
    "connections": 2,
    "requests": {"active": 1, "total": 9, "completed": 7, "failed": 1},
    "jobs": {"queued": 0, "running": 1, "completed": 5},
    "attached": [
        {
            "key": "k",
            "kind": "forecast",
            "handle": "ab" * 32,
            "index": -3,
            "requests": 2,
            "priority": 0,
            "state": "running",
        }
    ],
    "latency_ms": {"disconnect_to_abandon_p50": 0.8, "disconnect_to_abandon_p99": None},
    "cache": {"entries": 3, "bytes": 3 * 1024 * 1024, "hits": 4, "misses": 2},
}


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=120, color_system=None), buffer


def test_stage_text() -> None:
    assert stage_text({"stage": "queued", "position": 2}) == "queued (position 2)"
    assert stage_text({"stage": "inference", "done": 3, "total": 10}) == "inference 3/10"


def test_stage_status_shows_the_latest_frame_on_a_terminal() -> None:
    console, buffer = terminal()
    with StageStatus("plot cgm.csv", console=console, enabled=True) as status:
        status({"stage": "rendering", "done": 1, "total": 1})
        console.print("tick")  # forces a refresh that includes the status line
    assert "plot cgm.csv: rendering 1/1" in buffer.getvalue()


def test_stage_status_is_silent_off_a_terminal(capfd) -> None:
    console, buffer = terminal()
    with StageStatus("plot", console=console, enabled=False) as status:
        status({"stage": "queued"})
        console.print("tick")  # would refresh a live status line, were there one
    assert buffer.getvalue() == "tick\n"
    assert capfd.readouterr() == ("", "")


def test_status_as_text_and_tables() -> None:
    text = render_text(STATUS)
    assert "daemon: 0.1.0 pid 77" in text
    assert "device: cuda:0" in text
    assert "cache: 3 entries, 3.0 MiB, 4 hits, 2 misses" in text
    assert "abandon latency: p50 0.8 ms, p99 -" in text
    assert "uptime: 12 s" in text
    assert "requests: active 1, total 9, completed 7, failed 1" in text
    assert (
        "  kind=forecast handle=abababababab index=-3 requests=2 priority=0 state=running peers=-"
        in text
    )
    console, buffer = terminal()
    render_rich(STATUS, console)
    shown = buffer.getvalue()
    for expected in ("gluformer-large", "attached jobs", "running", "completed", "cuda:0"):
        assert expected in shown


FULL_STATUS = {
    **STATUS,
    "uptime_s": 1610.4,
    "torch": {"version": "2.13.0+cpu", "build": "cpu", "device": "cpu"},
    "requests": {
        "active": 12,
        "total": 123456,
        "completed": 120000,
        "failed": 3000,
        "cancelled": 400,
        "superseded": 44,
    },
    "jobs": {
        "queued": 30,
        "running": 2,
        "completed": 99999,
        "abandoned": 12,
        "stale_discarded": 3,
        "failed": 1,
        "completed_by_kind": {"prepare": 10, "forecast": 99000, "image": 989},
        "average_attachments": 1.25,
        "stale_check_hit_rate": 0.015,
    },
    "attached": [
        {
            "key": "k",
            "kind": "forecast",
            "handle": "cd" * 32,
            "index": -287,
            "requests": 12,
            "priority": 1,
            "state": "queued",
            "peers": ["uid=1000/pid=123456", "uid=1001/pid=654321"],
        }
    ],
}


def test_status_fits_80_columns_with_nothing_cut() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=80, color_system=None)
    render_rich(FULL_STATUS, console)
    shown = buffer.getvalue()
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "…" not in shown
    for header in ("kind", "handle", "index", "reqs", "prio", "state", "peers"):
        assert header in shown
    for value in ("stale_check_hit_rate", "superseded 44", "26 min 50 s", "uid=1001/pid=654321"):
        assert value in shown
    text = render_text(FULL_STATUS)
    assert "uptime: 26 min 50 s" in text and "torch: 2.13.0+cpu (cpu build)" in text
    assert "peers=uid=1000/pid=123456,uid=1001/pid=654321" in text


def test_durations_in_human_units() -> None:
    from glurpc_cli.status_view import duration

    assert duration(0.25) == "250 ms"
    assert duration(4.25) == "4.2 s"
    assert duration(42.7) == "42 s"
    assert duration(1610.4) == "26 min 50 s"
    assert duration(3 * 3600 + 5 * 60) == "3 h 05 min"
    assert duration(2 * 86400 + 4 * 3600 + 7) == "2 d 4 h"


def test_batch_reporter_counts_and_picks_the_first_failure_code() -> None:
    console, buffer = terminal()
    with BatchReporter(as_json=False, console=console, tty=True) as reporter:
        reporter.grow(3)
        reporter.record({"file": "a.csv", "index": 0, "wire_index": 0, "status": "written"})
        reporter.record(
            {
                "file": "a.csv",
                "index": 1,
                "wire_index": -1,
                "status": "failed",
                "code": "overloaded",
                "message": "full",
            },
            5,
        )
        reporter.record(
            {
                "file": "a.csv",
                "index": None,
                "wire_index": None,
                "status": "failed",
                "code": "invalid_data",
                "message": "bad",
            },
            1,
        )
    assert reporter.exit_code() == 5
    shown = buffer.getvalue()
    assert "error: a.csv index 1: full [overloaded]" in shown
    assert "error: a.csv: bad [invalid_data]" in shown
    assert "1 written, 0 skipped, 2 failed" in shown


def test_write_output_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "fig.png"
    write_output(target, b"image")
    assert target.read_bytes() == b"image"
    assert [p.name for p in tmp_path.iterdir()] == ["fig.png"]


def test_ready_pipe_reports_ready_eof_or_timeout() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"REA")
    os.write(write_end, b"DY\n")
    assert _wait_ready(read_end, timeout=5)
    os.close(write_end)
    os.close(read_end)
    read_end, write_end = os.pipe()
    os.close(write_end)  # the daemon exited without READY
    assert not _wait_ready(read_end, timeout=5)
    os.close(read_end)
    read_end, write_end = os.pipe()
    assert not _wait_ready(read_end, timeout=0.05)  # nothing ever written
    os.close(read_end)
    os.close(write_end)


def test_other_users_work_shows_as_counts() -> None:
    shared = {**STATUS, "attached_others": {"jobs": 2, "requests": 3}}
    assert "(and 2 jobs of other users, 3 requests)" in render_text(shared)
    assert "of other users" not in render_text(STATUS)
    console, buffer = terminal()
    render_rich(shared, console)
    assert "and 2 jobs of other users, 3 requests" in buffer.getvalue()
