"""Where the daemon's socket, state and models live (docs/PROTOCOL.md "Transport"), and
whether a runtime directory may be trusted.

Shared by the CLI and the daemon; standard library only. The trust rule is
ssh-agent's and tmux's: a directory that holds a socket must be a real
directory (lstat: never followed through a symlink), owned by the user, and
closed to everyone else (mode 0700). Anything else is refused with a message
that says how to fix it, because another local user who created the
directory first could read or answer what is sent through it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SOCKET_ENV = "GLURPC_SOCKET"
SOCKET_NAME = "glurpcd.sock"
SYSTEM_SOCKET = Path("/run/glurpc/glurpcd.sock")
RUNTIME_MODE = 0o700


def default_socket_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--socket`, then $GLURPC_SOCKET, then $XDG_RUNTIME_DIR/glurpc, then /tmp/glurpc-$UID."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(SOCKET_ENV)
    if from_env:
        return Path(from_env)
    return default_runtime_dir() / SOCKET_NAME


def default_runtime_dir() -> Path:
    """The per-user directory of the default socket (never chosen by `--socket`)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "glurpc"
    return Path(f"/tmp/glurpc-{os.getuid()}")


def is_default_runtime_dir(directory: Path) -> bool:
    """True when `directory` is the one the defaults picked: the one whose
    name alone the user trusts, so it must pass `runtime_dir_problem`."""
    return directory == default_runtime_dir()


def runtime_dir_problem(directory: Path, uid: int | None = None) -> str | None:
    """Why `directory` may not hold our socket, or None when it is safe.

    Missing is not a problem here (the daemon creates it, 0700). The message
    names the directory, what is wrong and the command that fixes it.
    """
    owner = os.getuid() if uid is None else uid
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"{directory} is a symlink; remove it (rm {directory}) and start again"
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory; move it away and start again"
    if info.st_uid != owner:
        return (
            f"{directory} belongs to uid {info.st_uid}, not to you (uid {owner}); "
            "another user may have created it: remove it or set XDG_RUNTIME_DIR"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode != RUNTIME_MODE:
        return f"{directory} has mode {mode:04o}; run chmod 700 {directory}"
    return None


def default_state_dir() -> Path:
    """$XDG_STATE_HOME/glurpc (~/.local/state/glurpc); root uses /var/lib/glurpc."""
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "glurpc"
    if os.getuid() == 0:
        return Path("/var/lib/glurpc")
    return Path.home() / ".local" / "state" / "glurpc"


def default_models_dir() -> Path:
    """The model store: $XDG_DATA_HOME/glurpc/models (~/.local/share/glurpc/models);
    root uses /var/lib/glurpc/models."""
    if os.getuid() == 0:
        return Path("/var/lib/glurpc/models")
    data = os.environ.get("XDG_DATA_HOME")
    base = Path(data) if data else Path.home() / ".local" / "share"
    return base / "glurpc" / "models"
