"""sd_notify from a real daemon to a datagram socket standing in for
systemd: READY=1, STATUS= that follows the load, WATCHDOG=1 from the event
loop when WatchdogSec= is set, STOPPING=1 on SIGTERM."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from .daemons import QUIET, launch_under

pytestmark = pytest.mark.integration


def next_state(manager: socket.socket, wanted: str) -> list[str]:
    """Datagrams until one that starts with `wanted` (blocking, bounded by the timeout)."""
    seen = []
    while True:
        state = manager.recv(4096).decode()
        seen.append(state)
        if state.startswith(wanted):
            return seen


def test_ready_status_watchdog_and_stopping(tmp_path: Path) -> None:
    address = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as manager:
        manager.bind(str(address))
        manager.settimeout(120)
        daemon = launch_under(
            tmp_path,
            *QUIET,
            env={"NOTIFY_SOCKET": str(address), "WATCHDOG_USEC": "200000"},
        )
        try:
            assert "READY=1" in next_state(manager, "READY=1")
            first = next_state(manager, "STATUS=")[-1]
            assert first.startswith("STATUS=0 active requests, 0 queued jobs")
            assert "WATCHDOG=1" in next_state(manager, "WATCHDOG=1")
            assert "WATCHDOG=1" in next_state(manager, "WATCHDOG=1")  # again: it is periodic
            with daemon.connect() as conn:
                assert conn.call("status")["data"]["systemd"] is True
                while not next_state(manager, "STATUS=")[-1].endswith(", 1 connections"):
                    pass
        finally:
            daemon.stop()
        assert "STOPPING=1" in next_state(manager, "STOPPING=1")
