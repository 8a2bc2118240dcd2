"""systemd integration without libsystemd: socket activation and sd_notify.

Layer: start-up, run-time and shutdown signalling (readiness, status,
watchdog, start-timeout extension). All are no-ops outside systemd.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable

SD_LISTEN_FDS_START = 3

log = logging.getLogger("glurpcd")


def activated_socket() -> socket.socket | None:
    """The listening socket systemd passed us (LISTEN_FDS), if any."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return None
    if int(os.environ.get("LISTEN_FDS", "0")) < 1:
        return None
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)  # not inherited by render workers
    sock = socket.socket(fileno=SD_LISTEN_FDS_START)
    sock.setblocking(False)
    return sock


def notify(state: str) -> bool:
    """Send e.g. "READY=1" or "STOPPING=1" to $NOTIFY_SOCKET; False when unset."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]  # abstract namespace
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(state.encode())
    return True


def under_systemd() -> bool:
    """Started by systemd (a service or socket activation), not by a user."""
    return any(name in os.environ for name in ("INVOCATION_ID", "NOTIFY_SOCKET", "LISTEN_FDS"))


def watchdog_interval() -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WatchdogSec=), None when off."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return max(0.05, int(usec) / 2e6)
    except ValueError:
        return None


STATUS_INTERVAL_S = 5.0
LOAD_GRACE_S = 10.0  # a model that loads faster than this needs no extension
EXTEND_USEC = 30_000_000


async def heartbeat(describe: Callable[[], str]) -> None:
    """From the event loop: WATCHDOG=1 (so a stalled loop is caught) and
    STATUS= when it changed. Runs until cancelled; a no-op outside systemd."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return
    interval = watchdog_interval()
    last = ""
    while True:
        text = describe()
        if text != last:
            _notify_quietly(f"STATUS={text}")
            last = text
        if interval is not None:
            _notify_quietly("WATCHDOG=1")
        await asyncio.sleep(min(interval or STATUS_INTERVAL_S, STATUS_INTERVAL_S))


async def extend_start_timeout() -> None:
    """While a slow model loads: EXTEND_TIMEOUT_USEC, so TimeoutStartSec= does
    not kill a daemon that is making progress. Cancelled once loaded."""
    if not os.environ.get("NOTIFY_SOCKET"):
        return
    await asyncio.sleep(LOAD_GRACE_S)
    while True:
        _notify_quietly(f"EXTEND_TIMEOUT_USEC={EXTEND_USEC}")
        _notify_quietly("STATUS=loading the model")
        await asyncio.sleep(EXTEND_USEC / 3e6)


def _notify_quietly(state: str) -> None:
    try:
        notify(state)
    except OSError as exc:  # the manager went away: serving matters more
        log.debug("sd_notify %s failed: %s", state.split("=")[0], exc)
