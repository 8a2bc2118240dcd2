"""Operating a real daemon: JSON log lines, request ids on library warnings,
and SIGHUP reloading the log level and the duplicate policy."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from .daemons import QUIET, launch_under
from .samples import cgm_csv, published_size_checkpoint, wait_for_status

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).parents[2] / "examples" / "dexcom_g6_sample.csv"
REQUEST_FIELDS = {
    "request_id",
    "peer_uid",
    "peer_pid",
    "op",
    "handle",
    "subject",
    "windows",
    "outcome",
    "code",
    "queue_ms",
    "compute_ms",
    "total_ms",
}


def drifting_dexcom() -> bytes:
    """The sample export minus one alert row of its metadata block: cgm-format
    parses it but logs a warning (through `logging`, from a worker thread)."""
    lines = EXAMPLE.read_bytes().splitlines(keepends=True)
    return b"".join(line for line in lines if b"Signal Loss" not in line)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def json_daemon(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("jsonlog")
    daemon = launch_under(
        base,
        "--log-format",
        "json",
        *QUIET,
    )
    yield daemon
    daemon.stop()


def test_every_log_line_is_json_and_requests_carry_their_fields(json_daemon) -> None:
    with json_daemon.connect() as conn:
        processed = conn.call("process", {"csv": cgm_csv(hours=12, seed=5)})
        handle = processed["data"]["handle"]
        forecast = conn.call("forecast", {"handle": handle, "index": -2, "subject": "s 1"})
        missing = conn.call("forecast", {"handle": "0" * 64})
    json_daemon.stop()
    entries = json_lines(json_daemon.log())  # raises on any line that is not JSON
    by_id = {e["request_id"]: e for e in entries if e.get("logger") == "glurpcd.request"}
    line = by_id[forecast["request_id"]]
    assert REQUEST_FIELDS <= set(line)
    assert line["op"] == "forecast" and line["outcome"] == "completed" and line["code"] is None
    assert line["handle"] == handle[:12] and line["windows"] == [-2] and line["subject"] == "s 1"
    assert line["peer_uid"] == os.getuid() and line["peer_pid"] == os.getpid()
    assert line["total_ms"] >= line["compute_ms"] >= 0 and line["queue_ms"] >= 0
    assert line["compute_ms"] > 0  # the forecast ran on the model lane for this request
    failed = by_id[missing["request_id"]]
    assert failed["outcome"] == "failed" and failed["code"] == "not_found"
    assert by_id[processed["request_id"]]["op"] == "process"
    started = [e for e in entries if "serving" in e["message"]]
    assert started and "torch" in started[0]["message"] and "time" in started[0]


def test_a_library_warning_inside_a_request_carries_its_request_id(tmp_path: Path) -> None:
    log_file = tmp_path / "state" / "daemon.log"  # launch() appends the daemon's stderr here
    log_file.parent.mkdir(parents=True)
    log_file.touch()
    stream = os.stat(log_file)
    daemon = launch_under(
        tmp_path,
        "--log-format",
        "json",
        *QUIET,
        # As under systemd, stderr is the journal's stream: no timestamps of our own.
        env={"JOURNAL_STREAM": f"{stream.st_dev}:{stream.st_ino}"},
    )
    try:
        with daemon.connect() as conn:
            ordinary = conn.call("process", {"csv": cgm_csv(hours=12, seed=6)})
            drifting = conn.call("process", {"csv": drifting_dexcom()})
    finally:
        daemon.stop()
    assert drifting["type"] == "result", drifting
    entries = json_lines(daemon.log())
    warnings = [e for e in entries if e["logger"].startswith("cgm_format")]
    assert warnings, "the drifting export should make cgm-format warn"
    assert all(e["level"] == "WARNING" for e in warnings)
    assert {e["request_id"] for e in warnings} == {drifting["request_id"]}
    assert ordinary["request_id"] != drifting["request_id"]
    assert all("time" not in e for e in entries)


def test_sighup_reloads_log_level_and_duplicate_policy(tmp_path: Path) -> None:
    config = tmp_path / "glurpcd.toml"
    config.write_text('log_level = "INFO"\nduplicates = "coalesce"\n')
    daemon = launch_under(
        tmp_path,
        "--config",
        str(config),
        "--model",
        str(published_size_checkpoint(tmp_path / "published.pth")),
        "--samples",
        "120",
        "--batch-rows",
        "20",
        *QUIET,
    )
    try:
        with daemon.connect() as conn:
            handle = conn.call("process", {"csv": cgm_csv(hours=12, seed=11)})["data"]["handle"]
            settings = conn.call("status")["data"]["settings"]
            assert settings["duplicates"] == "coalesce" and settings["log_level"] == "INFO"
            assert "DEBUG" not in daemon.log()

            config.write_text('log_level = "DEBUG"\nduplicates = "supersede"\nqueue_size = 9\n')
            os.kill(daemon.process.pid, signal.SIGHUP)
            wait_for_status(conn, lambda s: s["settings"]["duplicates"] == "supersede")
            assert conn.call("status")["data"]["settings"]["log_level"] == "DEBUG"
            _assert_newer_identical_request_supersedes(daemon, handle)
    finally:
        daemon.stop()
    log = daemon.log()
    assert "reload: duplicates coalesce -> supersede" in log
    assert "log_level INFO -> DEBUG" in log
    assert "queue_size changed (256 -> 9" in log and "needs a restart" in log
    assert "DEBUG glurpcd: connection opened by" in log  # the new level took effect


def _assert_newer_identical_request_supersedes(daemon, handle: str) -> None:
    with daemon.connect() as older, daemon.connect() as newer:
        first = older.request("forecast", {"handle": handle, "index": -1})
        while (frame := older.receive())["stage"] != "inference":
            assert frame["type"] == "progress", frame
        second = newer.request("forecast", {"handle": handle, "index": -1})
        assert older.final(first)["code"] == "superseded"
        assert newer.final(second)["type"] == "result"


def test_background_cap_and_precompute_hours_reload(tmp_path: Path) -> None:
    config = tmp_path / "glurpcd.toml"
    config.write_text("precompute_hours = 1\nbackground_jobs = 3\n")  # 12 windows, 3 at once
    daemon = launch_under(
        tmp_path,
        "--config",
        str(config),
        "--render-workers",
        "0",
    )

    def forecasts_after_upload(conn, seed: int) -> int:
        before = conn.call("status")["data"]["jobs"]["completed_by_kind"].get("forecast", 0)
        assert conn.call("process", {"csv": cgm_csv(hours=14, seed=seed)})["type"] == "result"
        status = wait_for_status(conn, lambda s: s["engine"]["background_jobs"] == 0)
        return status["jobs"]["completed_by_kind"].get("forecast", 0) - before

    try:
        with daemon.connect() as conn:
            assert forecasts_after_upload(conn, seed=21) == 3
            config.write_text("precompute_hours = 0.5\nbackground_jobs = 100\n")
            os.kill(daemon.process.pid, signal.SIGHUP)
            wait_for_status(conn, lambda s: s["settings"]["background_jobs"] == 100)
            assert forecasts_after_upload(conn, seed=22) == 6
    finally:
        daemon.stop()
    assert "reload: precompute_hours 1.0 -> 0.5" in daemon.log()


def test_a_reload_with_a_value_out_of_range_changes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "glurpcd.toml"
    config.write_text('log_level = "INFO"\nprecompute_hours = 1\n')
    daemon = launch_under(tmp_path, "--config", str(config), "--render-workers", "0")
    try:
        with daemon.connect() as conn:
            # Valid TOML; the log level comes first, as it did when half of it applied.
            config.write_text('log_level = "DEBUG"\nprecompute_hours = inf\n')
            os.kill(daemon.process.pid, signal.SIGHUP)
            wait_for_status(conn, lambda _: "reload" in daemon.log())
            settings = conn.call("status")["data"]["settings"]
        with daemon.connect() as later:  # logged at DEBUG, were DEBUG on
            assert later.call("ping")["type"] == "result"
    finally:
        daemon.stop()
    log = daemon.log()
    assert "reload refused, settings unchanged" in log and "'precompute_hours'" in log
    assert (settings["log_level"], settings["precompute_hours"]) == ("INFO", 1.0)
    assert "DEBUG" not in log
