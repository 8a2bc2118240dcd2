"""Start a user daemon on demand, like gpg-agent, and wait for its readiness.

Layer: process management for the client. It spawns `python -m glurpcd`
detached (its own session, stdin /dev/null, output appended to the log in the
state directory) with `--ready-fd`, then blocks on that pipe until the daemon
writes READY or exits. It never polls the socket in a loop, never kills a
daemon, and never creates the socket's directory (the daemon does).
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from glurpc_wire.codes import ErrorCode
from glurpc_wire.paths import default_state_dir

from .errors import DaemonUnreachable

READY_TIMEOUT_S = 120.0  # loading the model onto a GPU can take a while
LOG_NAME = "glurpcd.log"


def log_path() -> Path:
    return default_state_dir() / LOG_NAME


def start_daemon(
    socket_path: str | os.PathLike[str],
    extra_args: Sequence[str] = (),
    *,
    timeout: float = READY_TIMEOUT_S,
) -> int:
    """Spawn glurpcd on `socket_path`; return its pid once it reports READY.

    When the daemon exits without READY (most often: another one won the race
    for the socket) or the wait times out, this raises DaemonUnreachable naming
    the log file; the caller may still try the socket once.
    """
    log_file = log_path()
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = [sys.executable, "-m", "glurpcd", "--socket", os.fspath(socket_path)]
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    try:
        pid = _spawn_detached([*command, "--ready-fd", str(write_end), *extra_args], log_file)
    except OSError as exc:
        os.close(read_end)
        raise DaemonUnreachable(
            f"could not start glurpcd: {exc}", code=ErrorCode.AUTOSTART_FAILED
        ) from exc
    finally:
        os.close(write_end)  # only the child holds it now, so its exit means EOF
    try:
        ready = _wait_ready(read_end, timeout)
    finally:
        os.close(read_end)
    if not ready:
        raise DaemonUnreachable(
            f"glurpcd did not become ready on {os.fspath(socket_path)} "
            f"({_exit_status(pid)}); see {log_file}",
            code=ErrorCode.AUTOSTART_FAILED,
        )
    return pid


def _spawn_detached(argv: list[str], log_file: Path) -> int:
    """Start `argv` in its own session (Ctrl-C on this terminal must not reach
    it), stdin from /dev/null, output appended to `log_file`. posix_spawn, not
    Popen: the daemon outlives this process, and no Popen object should be left
    behind expecting to reap it."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (
            os.POSIX_SPAWN_OPEN,
            1,
            os.fspath(log_file),
            os.O_WRONLY | os.O_APPEND | os.O_CREAT,
            0o600,
        ),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    return os.posix_spawn(argv[0], argv, os.environ, file_actions=actions, setsid=True)


def _exit_status(pid: int) -> str:
    """Reap the child if it already exited (it failed to start)."""
    try:
        reaped, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return f"pid {pid}"
    if reaped == 0:
        return f"pid {pid} still starting"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def _wait_ready(read_end: int, timeout: float) -> bool:
    """Block on the pipe until READY, EOF or the deadline; no socket polling."""
    deadline = time.monotonic() + timeout
    received = b""
    while b"READY" not in received:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        readable, _, _ = select.select([read_end], [], [], remaining)
        if not readable:
            return False
        chunk = os.read(read_end, 64)
        if not chunk:
            return False  # the daemon exited (or closed the fd) without READY
        received += chunk
    return True
