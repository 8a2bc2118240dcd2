"""The listening Unix socket: path, permissions, one daemon per socket;
the descriptors it may use.

Layer: start-up. A live socket (something accepts) makes a second daemon
refuse to start; a stale file (nothing listens) is replaced. The check and
the bind happen under an flock on `<socket>.lock`, so two daemons started at
the same instant cannot both bind. The soft descriptor limit is raised to the
hard one, and the connection limit stays below it by a reserve for cache
files, worker pipes and the model.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import logging
import os
import resource
import socket
from pathlib import Path

log = logging.getLogger("glurpcd")

# Descriptors kept back from connections: cache files, worker pipes, the model, logs.
FD_RESERVE = 128
MIN_CONNECTIONS = 16


class AlreadyRunning(RuntimeError):
    """Another daemon serves this socket."""


def _prepare_directory(path: Path) -> None:
    directory = path.parent
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if directory.stat().st_uid != os.getuid():
        raise PermissionError(f"{directory} belongs to another user")


def _is_live(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except FileNotFoundError:
        return False
    except OSError as exc:
        if exc.errno in (errno.ECONNREFUSED, errno.ENOTSOCK):
            return False
        raise
    else:
        return True
    finally:
        probe.close()


def bind_socket(path: Path, group: str | None = None, backlog: int = 1024) -> socket.socket:
    """Create the listening socket at `path` (0600, or 0660 for a group)."""
    _prepare_directory(path)
    lock_path = path.with_name(path.name + ".lock")
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        if _is_live(path):
            raise AlreadyRunning(f"another glurpcd already serves {path}")
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # stale: nothing listens on it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # never visible with wider permissions
        try:
            sock.bind(str(path))
        finally:
            os.umask(old_umask)
        if group:
            os.chown(path, -1, grp.getgrnam(group).gr_gid)
            os.chmod(path, 0o660)
        sock.listen(backlog)
        sock.setblocking(False)
        return sock
    finally:
        os.close(lock_fd)


def socket_identity(path: Path) -> tuple[int, int]:
    """(device, inode) of the socket file, to recognise it as ours later."""
    info = os.stat(path)
    return info.st_dev, info.st_ino


def remove_socket(path: Path, identity: tuple[int, int]) -> None:
    """Remove our socket file on shutdown, only if it is still ours (a newer
    daemon may have replaced it)."""
    with contextlib.suppress(OSError):
        if socket_identity(path) == identity:
            path.unlink()


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not raise the descriptor limit from %d to %d: %s", soft, hard, exc)
        return soft
    return hard


def connection_limit(configured: int | None) -> int:
    """The connection limit: as configured, never closer than FD_RESERVE to
    the soft descriptor limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = max(MIN_CONNECTIONS, soft - FD_RESERVE)
    if configured is None:
        return ceiling
    if configured > ceiling:
        log.warning(
            "--max-connections %d lowered to %d (descriptor limit %d)", configured, ceiling, soft
        )
    return min(configured, ceiling)
