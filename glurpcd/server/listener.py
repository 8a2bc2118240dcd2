"""The listening Unix socket and the state lock: one daemon per socket and per
state directory, and nothing of the user's ever removed.

Layer: start-up. Rules (README "Security"):
- the default runtime directory must pass `runtime_dir_problem` (a real
  directory, ours, 0700); an explicit `--socket` directory must be a real
  directory owned by us or root that nobody else may write to (sticky /tmp
  excepted);
- the only thing ever removed at the socket path is a socket that no daemon
  answers; a regular file, a link or a directory there is refused;
- lock files are opened O_NOFOLLOW and must be our regular files;
- the check and the bind happen under an flock on `<socket>.lock`, so two
  daemons started at the same instant cannot both bind; the state directory
  is held by an flock on `glurpcd.lock` for the daemon's whole life;
- a failed start removes exactly what it created (directories, lock files).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import grp
import os
import socket
import stat
from pathlib import Path

from glurpc_wire.paths import is_default_runtime_dir, runtime_dir_problem

STATE_LOCK_NAME = "glurpcd.lock"


class AlreadyRunning(RuntimeError):
    """Another daemon serves this socket or holds this state directory."""


class UnsafePath(RuntimeError):
    """A path glurpcd refuses to use or replace; the message says how to fix it."""


class Created:
    """What this start-up created, to remove again if the start fails."""

    def __init__(self) -> None:
        self.paths: list[Path] = []

    def undo(self) -> None:
        for path in reversed(self.paths):
            with contextlib.suppress(OSError):
                if path.is_dir() and not path.is_symlink():
                    path.rmdir()  # only while empty: never someone else's files
                else:
                    path.unlink()
        self.paths.clear()


def make_directory(directory: Path, created: Created) -> None:
    """Create `directory` and missing parents 0700, recording each one made."""
    missing = []
    probe = directory
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue  # made at this instant by someone else: the checks decide
        created.paths.append(path)


def check_socket_directory(directory: Path) -> None:
    if is_default_runtime_dir(directory):
        problem = runtime_dir_problem(directory)
        if problem:
            raise UnsafePath(problem)
        return
    info = os.lstat(directory)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafePath(f"{directory} is not a real directory (a symlink or a file)")
    if info.st_uid not in (os.getuid(), 0):
        raise UnsafePath(f"{directory} belongs to uid {info.st_uid}; choose your own directory")
    open_to_others = info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    if open_to_others and not info.st_mode & stat.S_ISVTX:
        raise UnsafePath(
            f"{directory} may be written by other users (mode {stat.S_IMODE(info.st_mode):04o});"
            f" run chmod go-w {directory} or choose another --socket"
        )


def open_lock(path: Path, created: Created) -> int:
    """Open (creating 0600) a lock file that must be our own regular file."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o600)
        created.paths.append(path)
        return fd
    except FileExistsError:
        pass
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(f"{path} is a symlink; remove it (rm {path})") from exc
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
        os.close(fd)
        raise UnsafePath(f"{path} is not a lock file of yours; remove it (rm {path})")
    return fd


def lock_state_dir(state_dir: Path, created: Created) -> int:
    """Hold the state directory for this daemon's life (fd stays open)."""
    make_directory(state_dir, created)
    lock_path = state_dir / STATE_LOCK_NAME
    fd = open_lock(lock_path, created)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise AlreadyRunning(
            f"another glurpcd (pid {holder}) uses the state directory {state_dir}"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _is_live(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError as exc:
        if exc.errno == errno.ECONNREFUSED:
            return False
        raise
    else:
        return True
    finally:
        probe.close()


def _clear_stale(path: Path) -> None:
    """Remove what is at `path` only if it is a socket that nothing answers."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(info.st_mode):
        raise UnsafePath(
            f"{path} exists and is not a socket; glurpcd never removes it: "
            "move it away or choose another --socket"
        )
    if _is_live(path):
        raise AlreadyRunning(f"another glurpcd already serves {path}")
    path.unlink()  # stale: a socket nothing listens on


def bind_socket(
    path: Path, created: Created, group: str | None = None, backlog: int = 1024
) -> socket.socket:
    """Create the listening socket at `path` (0600, or 0660 for a group)."""
    make_directory(path.parent, created)
    check_socket_directory(path.parent)
    lock_fd = open_lock(path.with_name(path.name + ".lock"), created)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)
        _clear_stale(path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # never visible with wider permissions
        try:
            sock.bind(str(path))
        except OSError:
            sock.close()
            raise
        finally:
            os.umask(old_umask)
        created.paths.append(path)
        if group:
            os.chown(path, -1, grp.getgrnam(group).gr_gid)
            os.chmod(path, 0o660)
        sock.listen(backlog)
        sock.setblocking(False)
        return sock
    finally:
        os.close(lock_fd)


def socket_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the socket file, to recognise it as ours later;
    None when nothing (or something else) is there now."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def remove_socket(path: Path, identity: tuple[int, int]) -> None:
    """Remove our socket file on shutdown, only if it is still ours (a newer
    daemon may have replaced it)."""
    with contextlib.suppress(OSError):
        if socket_identity(path) == identity:
            path.unlink()
