"""The `glurpc` command: the click group, its global options, and exit codes.

Layer: CLI entry point. It turns every client exception into its exit code
(errors.py) and a one-line message on stderr, and Ctrl-C into 130: closing the
socket on the way out is what cancels the request on the daemon. It imports
only the client library, msgpack and click; every heavy or optional import
lives inside the command that needs it, so `glurpc --help` starts fast.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module
from typing import Any

import click

from glurpc_wire.codes import ErrorCode, ExitCode

from . import __version__
from .errors import DaemonUnreachable, GlurpcError, OverloadedError
from .output import StdoutClosed, error, error_text, set_quiet
from .session import START_HINT, Session

EXIT_STDOUT_CLOSED = 141  # 128 + SIGPIPE, what `yes | head -1` leaves for `yes`

# name -> (module, attribute, one-line help). Commands load on first use, so
# `glurpc ping` never imports the batch machinery and `--help` imports nothing.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "cache": ("commands_admin", "cache", "Inspect or manage the daemon's caches."),
    "completion": ("completion", "completion", "Print a shell completion script."),
    "convert": ("commands_data", "convert", "Convert a CGM export to the unified CSV."),
    "daemon": ("commands_daemon", "daemon", "Start, stop, restart or inspect glurpcd."),
    "evaluate": (
        "commands_evaluate",
        "evaluate",
        "Score the forecast on your files against baselines.",
    ),
    "forecast": ("commands_data", "forecast", "Print one window's forecast (JSON or CSV)."),
    "models": ("commands_models", "models", "List, show or add the daemon's models."),
    "ping": ("commands_admin", "ping", "Check that the daemon answers."),
    "plot": ("commands_plot", "plot", "Plot forecast windows of one or more CGM files."),
    "process": ("commands_data", "process", "Prepare a file: handle, windows, warnings."),
    "quick-plot": ("commands_plot", "quick_plot", "Plot the latest window in one step."),
    "status": ("commands_admin", "status", "What the daemon is doing and for whom."),
}


class GlurpcGroup(click.Group):
    """A group whose commands load lazily and may raise client errors: each
    error becomes its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command: click.Command = getattr(import_module(f".{module}", __package__), attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GlurpcError as exc:
            error(error_text(exc))
            if isinstance(exc, DaemonUnreachable) and exc.code is ErrorCode.DAEMON_UNREACHABLE:
                error(f"hint: no daemon answers; {START_HINT}")
            elif isinstance(exc, OverloadedError):
                error(f"hint: the daemon's queue is full; retry in {exc.retry_after:g} s")
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            error("interrupted")
            ctx.exit(ExitCode.INTERRUPTED)
        except (StdoutClosed, BrokenPipeError):
            # `glurpc ... | head -1`: the reader has what it wanted. End quietly
            # with the status a shell gives a process that SIGPIPE ended, and
            # point stdout at /dev/null so the exit-time flush cannot complain.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_STDOUT_CLOSED)


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """`--version`, without click's version_option: that one translates its message
    with gettext when the module loads, which imports `locale` on every call."""
    if value:
        click.echo(f"glurpc, version {__version__}")
        ctx.exit()


@click.group(cls=GlurpcGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--socket",
    "socket_path",
    envvar="GLURPC_SOCKET",
    metavar="PATH",
    help="Daemon socket [env GLURPC_SOCKET; default $XDG_RUNTIME_DIR/glurpc/glurpcd.sock].",
)
@click.option(
    "--no-autostart",
    is_flag=True,
    envvar="GLURPC_NO_AUTOSTART",
    help="Fail (exit 3) instead of starting a daemon when none answers "
    "[env GLURPC_NO_AUTOSTART=1].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Give up when the daemon is silent this long (default: wait).",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    envvar="GLURPC_QUIET",
    help="Only errors on stderr: no notes, progress or summaries [env GLURPC_QUIET=1].",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the version and exit.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    socket_path: str | None,
    no_autostart: bool,
    timeout: float | None,
    quiet: bool,
) -> None:
    """Glucose forecasts from CGM exports, served by the local glurpcd daemon.

    Results go to files or stdout; messages and progress go to stderr.
    Exit codes: 0 ok, 1 request failed, 2 usage, 3 daemon unreachable,
    4 protocol mismatch, 5 overloaded, 6 permission denied, 130 interrupted.
    """
    set_quiet(quiet)
    ctx.obj = Session(socket=socket_path, autostart=not no_autostart, timeout=timeout)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (`glurpc`, `python -m glurpc_cli`).

    click's standalone mode already exits quietly on a broken stdout pipe
    (`glurpc plot ... --json | head`).
    """
    cli.main(args=argv, prog_name="glurpc")
