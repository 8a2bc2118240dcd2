"""`glurpc daemon start|stop|restart|status|logs`.

Layer: CLI commands for the daemon's process. `start` spawns a user daemon
through autostart.py and reports its pid; `stop` asks the daemon for its pid,
sends SIGTERM and waits for the process to exit (a pidfd: no polling),
bounded; `restart` is the two; `status` says whether one answers and how it
runs; `logs` shows the user daemon's log file. They never kill with SIGKILL
and never delete the socket. A daemon under systemd is systemd's to manage:
they say which systemctl or journalctl command to use instead.
"""

from __future__ import annotations

import os
import select
import signal
import sys
from collections import deque

import click

from glurpc_wire.codes import ErrorCode, ExitCode

from .errors import DaemonUnreachable, GlurpcError, PermissionDenied
from .output import info, json_line
from .session import Session, current_session

STOP_TIMEOUT_S = 30.0


@click.group()
def daemon() -> None:
    """Start, stop, restart or inspect the glurpcd on the socket."""


@daemon.command(
    context_settings={"ignore_unknown_options": True},
    short_help="Start glurpcd in the background.",
)
@click.argument("daemon_args", nargs=-1, type=click.UNPROCESSED)
@click.option("--json", "as_json", is_flag=True, help="Print {pid, socket, started} as JSON.")
def start(daemon_args: tuple[str, ...], as_json: bool) -> None:
    """Start glurpcd in the background; extra options go to glurpcd (e.g. --device cpu)."""
    _start(current_session(), daemon_args, as_json)


def _start(session: Session, daemon_args: tuple[str, ...], as_json: bool) -> None:
    from .autostart import log_path, start_daemon

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


@daemon.command(short_help="Stop the daemon and wait until it has exited.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=STOP_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for the daemon to exit.",
)
def stop(timeout: float) -> None:
    """Ask the daemon to shut down (SIGTERM) and wait until it has exited."""
    _stop(current_session(), timeout)


def _stop(session: Session, timeout: float) -> None:
    try:
        with session.connect(autostart=False) as client:
            status = client.status()
    except DaemonUnreachable:
        info(f"glurpcd is not running on {session.socket_path}")
        return
    if status.get("systemd"):
        raise GlurpcError(
            f"glurpcd pid {status.get('pid')} runs under systemd: use "
            "`systemctl stop glurpcd.socket glurpcd.service` (add --user for a user unit)",
            code=ErrorCode.STILL_RUNNING,
        )
    pid = int(status["pid"])
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


@daemon.command(
    context_settings={"ignore_unknown_options": True},
    short_help="Stop the user daemon and start a new one.",
)
@click.argument("daemon_args", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=STOP_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for the old daemon to exit.",
)
@click.option("--json", "as_json", is_flag=True, help="Print {pid, socket, started} as JSON.")
def restart(daemon_args: tuple[str, ...], timeout: float, as_json: bool) -> None:
    """Stop the user daemon and start a new one, which reads glurpcd.toml afresh;
    extra options go to glurpcd. (SIGHUP applies run-time settings without a restart.)"""
    session = current_session()
    _stop(session, timeout)
    _start(session, daemon_args, as_json)


@daemon.command(name="status", short_help="Whether glurpcd answers, and how it runs.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def daemon_status(as_json: bool) -> None:
    """Whether glurpcd answers, and how it runs: pid, uptime, torch, device, logs.
    Exit 3 when none answers."""
    from .autostart import log_path
    from .status_view import duration

    session = current_session()
    try:
        with session.connect(autostart=False) as client:
            data = client.status()
    except DaemonUnreachable:
        if as_json:
            json_line({"running": False, "socket": str(session.socket_path)})
        else:
            click.echo(f"glurpcd is not running on {session.socket_path}")
        click.get_current_context().exit(ExitCode.UNREACHABLE)
    torch = data.get("torch") or {}
    logs = _journal_hint() if data.get("systemd") else str(log_path())
    if as_json:
        json_line({"running": True, "socket": str(session.socket_path), "logs": logs, **data})
        return
    rows = [
        ("running", f"pid {data.get('pid')}, version {data.get('version')}"),
        ("socket", str(session.socket_path)),
        ("uptime", duration(data.get("uptime_s"))),
        ("managed by", "systemd" if data.get("systemd") else "glurpc (user daemon)"),
        ("torch", f"{torch.get('version', '?')} ({torch.get('build', '?')} build)"),
        ("device", f"{data.get('device')} ({torch.get('device_name', '?')})"),
        ("logs", logs),
    ]
    for label, value in rows:
        click.echo(f"{label}: {value}")


@daemon.command(short_help="Show the user daemon's log (-f to follow).")
@click.option("-f", "--follow", is_flag=True, help="Keep printing lines as they are written.")
@click.option(
    "-n", "--lines", type=click.IntRange(min=0), default=50, show_default=True, help="Last N lines."
)
def logs(follow: bool, lines: int) -> None:
    """Show the user daemon's log file (under systemd, use journalctl)."""
    from .autostart import log_path

    session = current_session()
    try:
        with session.connect(autostart=False) as client:
            if client.status().get("systemd"):
                raise GlurpcError(
                    f"glurpcd logs to the journal under systemd: {_journal_hint()}",
                    code=ErrorCode.USAGE,
                )
    except DaemonUnreachable:
        pass  # a stopped daemon's log is still worth reading
    path = log_path()
    if not path.is_file():
        raise GlurpcError(f"no log file at {path}", code=ErrorCode.IO_ERROR)
    if follow:
        # tail -F is the tool for following a file that may be rotated or recreated.
        os.execvp("tail", ["tail", "-n", str(lines), "-F", str(path)])
    with open(path, "rb") as log_file:
        tail = deque(log_file, maxlen=lines) if lines else deque()
    sys.stdout.write(b"".join(tail).decode(errors="replace"))


def _journal_hint() -> str:
    return "journalctl -u glurpcd (a user unit: journalctl --user -u glurpcd)"
