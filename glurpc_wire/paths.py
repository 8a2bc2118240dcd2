"""Where the daemon's socket and state live (docs/PROTOCOL.md "Transport").

Shared by the CLI and the daemon; standard library only.
"""

from __future__ import annotations

import os
from pathlib import Path

SOCKET_ENV = "GLURPC_SOCKET"
SOCKET_NAME = "glurpcd.sock"
SYSTEM_SOCKET = Path("/run/glurpc/glurpcd.sock")


def default_socket_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """`--socket`, then $GLURPC_SOCKET, then $XDG_RUNTIME_DIR/glurpc, then /tmp/glurpc-$UID."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(SOCKET_ENV)
    if from_env:
        return Path(from_env)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        return Path(runtime) / "glurpc" / SOCKET_NAME
    return Path(f"/tmp/glurpc-{os.getuid()}") / SOCKET_NAME


def default_state_dir() -> Path:
    """$XDG_STATE_HOME/glurpc (~/.local/state/glurpc); root uses /var/lib/glurpc."""
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "glurpc"
    if os.getuid() == 0:
        return Path("/var/lib/glurpc")
    return Path.home() / ".local" / "state" / "glurpc"
