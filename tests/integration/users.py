"""A second (and third) local user for tests, made when the suite runs as root.

`as_user(uid, gid, work)` forks this test process and drops to `uid`/`gid`
(no supplementary groups) before running `work`, so everything `work` does
on a socket carries that uid in SO_PEERCRED: the daemon and the CLI see a
real other user. No account is added to /etc/passwd: the kernel needs only
the numbers. Python itself may be unreadable to that uid (a root-only
interpreter), so `work` may use only modules imported before the fork.
Without root the tests that need this are skipped with `needs_root`.
"""

from __future__ import annotations

import grp
import json
import os
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

OTHER_UID = 54_321
THIRD_UID = 54_322
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(
    not IS_ROOT, reason="acting as a second user needs root (setuid to a fresh uid)"
)


def shared_group() -> tuple[str, int]:
    """An existing group for a `--group` daemon that the test users join."""
    for name in ("users", "nogroup", "daemon"):
        try:
            return name, grp.getgrnam(name).gr_gid
        except KeyError:
            continue
    pytest.skip("no group to share a daemon with")


def as_user(uid: int, gid: int, work: Callable[[], Any]) -> Any:
    """Run `work()` in a child process as `uid`/`gid`; return its JSON-able
    result (an exception in the child fails the test with its traceback)."""
    return finish(start_as_user(uid, gid, work))


@dataclass
class Child:
    pid: int
    results: int  # read end of the pipe the child reports on
    done: bool = False


def start_as_user(uid: int, gid: int, work: Callable[[], Any]) -> Child:
    """Start `work()` as `uid`/`gid` in a child; `finish` collects its result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        status = 0
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            payload = {"result": work()}
        except BaseException:  # noqa: BLE001 - reported to the parent
            payload = {"error": traceback.format_exc()}
            status = 1
        try:
            os.write(write_end, json.dumps(payload, default=str).encode())
        finally:
            os._exit(status)
    os.close(write_end)
    return Child(pid, read_end)


def finish(child: Child) -> Any:
    chunks = []
    with os.fdopen(child.results, "rb") as reader:
        while chunk := reader.read(1 << 16):
            chunks.append(chunk)
    os.waitpid(child.pid, 0)
    child.done = True
    payload = json.loads(b"".join(chunks) or b"{}")
    if "error" in payload or "result" not in payload:
        raise AssertionError(f"as a second user: {payload.get('error', 'no result')}")
    return payload["result"]


def abandon(child: Child) -> None:
    """End a child that may still wait (a failed test must not leave it behind)."""
    if child.done:
        return
    child.done = True
    os.kill(child.pid, signal.SIGKILL)
    os.waitpid(child.pid, 0)
    os.close(child.results)
