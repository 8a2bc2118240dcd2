"""`glurpc daemon start|stop` and `glurpc completion SHELL`.

Layer: CLI commands for the daemon's process and the shell. `start` spawns a
user daemon through autostart.py and reports its pid; `stop` asks the daemon
for its pid, sends SIGTERM and waits for the process to exit (a pidfd: no
polling), bounded. They never kill with SIGKILL and never delete the socket.
"""

from __future__ import annotations

import os
import select
import signal

import click

from glurpc_wire.codes import ErrorCode

from .errors import DaemonUnreachable, GlurpcError, PermissionDenied
from .output import info, json_line
from .session import Session, current_session

STOP_TIMEOUT_S = 30.0


@click.group()
def daemon() -> None:
    """Start or stop a user glurpcd on the socket."""


@daemon.command(context_settings={"ignore_unknown_options": True})
@click.argument("daemon_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--json", "as_json", is_flag=True, help="Print {pid, socket, started} as JSON.")
def start(daemon_args: tuple[str, ...], as_json: bool) -> None:
    """Start glurpcd in the background (extra options go to glurpcd, e.g. --device cpu)."""
    from .autostart import log_path, start_daemon

    session = current_session()
    started = False
    try:
        with session.connect(autostart=False) as client:
            pid = client.status().get("pid")
    except DaemonUnreachable:
        pid = start_daemon(session.socket_path, daemon_args)
        started = True
    if as_json:
        json_line({"pid": pid, "socket": str(session.socket_path), "started": started})
    elif started:
        info(f"started glurpcd pid {pid} on {session.socket_path} (log: {log_path()})")
    else:
        info(f"glurpcd already running: pid {pid} on {session.socket_path}")


@daemon.command()
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=STOP_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for the daemon to exit.",
)
def stop(timeout: float) -> None:
    """Ask the daemon to shut down (SIGTERM) and wait until it has exited."""
    session = current_session()
    try:
        with session.connect(autostart=False) as client:
            pid = int(client.status()["pid"])
    except DaemonUnreachable:
        info(f"glurpcd is not running on {session.socket_path}")
        return
    watch = _pidfd(pid)
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid = 0
    except PermissionError as exc:
        raise PermissionDenied(
            f"not allowed to signal glurpcd pid {pid} (another user's or the system daemon; "
            "try `systemctl stop glurpcd`)",
            code=ErrorCode.PERMISSION_DENIED,
        ) from exc
    if pid and not _wait_exit(watch, timeout):
        raise GlurpcError(
            f"glurpcd pid {pid} did not exit within {timeout:g} s", code=ErrorCode.STILL_RUNNING
        )
    _check_silent(session)
    info(f"stopped glurpcd pid {pid}" if pid else "glurpcd had already exited")


def _pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None  # old kernel or another pid namespace: fall back to no wait


def _wait_exit(pidfd: int | None, timeout: float) -> bool:
    """A pidfd becomes readable when the process exits."""
    if pidfd is None:
        return True
    try:
        readable, _, _ = select.select([pidfd], [], [], timeout)
        return bool(readable)
    finally:
        os.close(pidfd)


def _check_silent(session: Session) -> None:
    """After the exit the socket should be silent, unless systemd holds it."""
    try:
        with session.connect(autostart=False):
            pass
    except GlurpcError:
        return
    raise GlurpcError(
        "the socket still answers: systemd socket activation restarted glurpcd; "
        "use `systemctl --user stop glurpcd.socket glurpcd.service`",
        code=ErrorCode.STILL_RUNNING,
    )


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g. `eval "$(glurpc completion bash)"`."""
    from click.shell_completion import get_completion_class

    ctx = click.get_current_context()
    root = ctx.find_root().command
    completer_class = get_completion_class(shell)
    assert completer_class is not None  # click ships all three
    completer = completer_class(root, {}, "glurpc", "_GLURPC_COMPLETE")
    click.echo(completer.source())
