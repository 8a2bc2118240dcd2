"""`glurpc daemon status|restart|logs|stop` and `--quiet`, against a real
autostarted glurpcd (tiny test checkpoint, CPU), as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TINY_MODEL = REPO / "tests/fixtures/parity_tiny/gluformer_tiny_3heads_reluactivation_weights.pth"


def glurpc(socket_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "GLURPC_MODEL": str(TINY_MODEL),
        "XDG_STATE_HOME": str(socket_dir / "state"),
        "XDG_CONFIG_HOME": str(socket_dir / "config"),
        "PYTHONPATH": str(REPO),
        **env,
    }
    for name in ("GLURPC_QUIET", "INVOCATION_ID", "NOTIFY_SOCKET", "JOURNAL_STREAM"):
        if name not in env:
            environment.pop(name, None)
    command = [sys.executable, "-m", "glurpc_cli", "--socket", str(socket_dir / "g.sock"), *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=180, check=False
    )


def test_daemon_lifecycle_commands_and_quiet(socket_dir: Path) -> None:
    stopped = glurpc(socket_dir, "daemon", "status")
    assert stopped.returncode == 3 and "not running" in stopped.stdout

    # `process` autostarts a daemon (ping and status never do); -q says nothing about it.
    quiet = glurpc(socket_dir, "-q", "process", str(REPO / "examples/dexcom_g6_sample.csv"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and "handle" in quiet.stdout
    try:
        status = glurpc(socket_dir, "daemon", "status")
        assert status.returncode == 0, status.stderr
        labels = [line.split(":", 1)[0] for line in status.stdout.splitlines()]
        assert labels == ["running", "socket", "uptime", "managed by", "torch", "device", "logs"]
        as_json = json.loads(glurpc(socket_dir, "daemon", "status", "--json").stdout)
        assert as_json["running"] is True and as_json["systemd"] is False
        assert as_json["torch"]["build"] in status.stdout
        log_file = socket_dir / "state" / "glurpc" / "glurpcd.log"
        assert as_json["logs"] == str(log_file)

        logs = glurpc(socket_dir, "daemon", "logs", "-n", "3")
        assert logs.returncode == 0
        assert logs.stdout.splitlines() == log_file.read_text().splitlines()[-3:]

        restarted = glurpc(socket_dir, "daemon", "restart", "--json")
        assert restarted.returncode == 0, restarted.stderr
        new = json.loads(restarted.stdout)
        assert new["started"] is True and new["pid"] != as_json["pid"]
        assert f"stopped glurpcd pid {as_json['pid']}" in restarted.stderr
    finally:
        stop = glurpc(socket_dir, "daemon", "stop")
    assert stop.returncode == 0, stop.stderr


def test_quiet_keeps_errors(socket_dir: Path) -> None:
    result = glurpc(socket_dir, "--no-autostart", "ping", GLURPC_QUIET="1")
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and lines[1].startswith("hint: ")
