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
import stat
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from glurpc_wire.codes import ErrorCode
from glurpc_wire.paths import default_state_dir

from .errors import DaemonUnreachable

READY_TIMEOUT_S = 120.0  # loading the model onto a GPU can take a while
CHILD_READY_FD = 3  # where the daemon finds the ready pipe's write end
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
    _refuse_non_socket(Path(socket_path))
    log_file = log_path()
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    command = [sys.executable, "-m", "glurpcd", "--socket", os.fspath(socket_path)]
    # Both ends stay close-on-exec here: only the spawn's own dup2 hands the
    # write end to this child, so a daemon another thread spawns at the same
    # moment cannot hold it open and hide this one's exit.
    read_end, write_end = os.pipe()
    child_fd = CHILD_READY_FD if write_end != CHILD_READY_FD else CHILD_READY_FD + 1
    try:
        pid = _spawn_detached(
            [*command, "--ready-fd", str(child_fd), *extra_args], log_file, (write_end, child_fd)
        )
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


def _refuse_non_socket(path: Path) -> None:
    """A daemon never replaces a file that is not a socket; say so before spawning."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise DaemonUnreachable(
            f"cannot use {path}: {exc.strerror or exc}", code=ErrorCode.AUTOSTART_FAILED
        ) from exc
    if not stat.S_ISSOCK(info.st_mode):
        raise DaemonUnreachable(
            f"{path} is not a socket; not starting a daemon there (choose another --socket)",
            code=ErrorCode.AUTOSTART_FAILED,
        )


def _spawn_detached(argv: list[str], log_file: Path, ready: tuple[int, int]) -> int:
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
        (os.POSIX_SPAWN_DUP2, *ready),  # dup2 clears close-on-exec in the child only
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
