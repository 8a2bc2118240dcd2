"""Measuring a daemon from outside while something is done to it: its peak
and settled RSS (sampled from /proc: the daemon process itself, and apart
from that the daemon with every process it started, parsing children and
render workers) and the longest round trip of a healthy client pinging on its
own connection the whole time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from tests.integration.daemons import DaemonProcess

SAMPLE_S = 0.01
MIB = 1024 * 1024


def rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass  # a child that just exited
    return 0


def tree_rss(pid: int) -> int:
    """RSS of `pid` and of every process below it."""
    return sum(rss(member) for member in _tree(pid))


def _tree(pid: int) -> list[int]:
    members, pending = [], [pid]
    while pending:
        member = pending.pop()
        members.append(member)
        for task in Path(f"/proc/{member}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return members


class Watch:
    """Samples RSS and pings until stopped; a context manager."""

    def __init__(self, daemon: DaemonProcess) -> None:
        self.daemon = daemon
        self.peak_rss = 0
        self.peak_tree_rss = 0
        self.pings = 0
        self.longest_ping_s = 0.0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._sample, daemon=True),
            threading.Thread(target=self._ping, daemon=True),
        ]

    def __enter__(self) -> Watch:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _sample(self) -> None:
        pid = self.daemon.process.pid
        while not self._stop.wait(SAMPLE_S):
            self.peak_rss = max(self.peak_rss, rss(pid))
            self.peak_tree_rss = max(self.peak_tree_rss, tree_rss(pid))

    def _ping(self) -> None:
        with self.daemon.connect() as conn:
            while not self._stop.is_set():
                started = time.perf_counter()
                conn.call("ping")
                self.longest_ping_s = max(self.longest_ping_s, time.perf_counter() - started)
                self.pings += 1
                self._stop.wait(0.005)


def settled_rss(pid: int, quiet_s: float = 2.0) -> int:
    """RSS once the daemon has had `quiet_s` to trim and settle."""
    time.sleep(quiet_s)
    return rss(pid)
