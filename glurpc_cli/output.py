"""Where the CLI's output goes: results to stdout or files, people-facing text to stderr.

Layer: CLI presentation. Results go to stdout (JSON lines, CSV, images with
`-o -`) or to files written atomically (an interrupted batch never leaves a
torn image that `--skip-existing` would then trust). Human messages, errors
and progress go to stderr. rich is imported only inside functions and only
when stderr is a terminal, so scripts and a cached plot never pay for it.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import IO, Any

import click

from .errors import GlurpcError

_quiet = False


def set_quiet(quiet: bool) -> None:
    """`-q` / GLURPC_QUIET: only errors reach stderr (no notes, progress or summaries)."""
    global _quiet
    _quiet = quiet


def stderr_is_tty() -> bool:
    """Whether to draw progress on stderr: a terminal, and not asked to be quiet."""
    return not _quiet and sys.stderr.isatty()


def info(message: str) -> None:
    """A note for people; silenced by --quiet."""
    if not _quiet:
        click.echo(message, err=True)


def error(message: str) -> None:
    """An error or its hint: always shown."""
    click.echo(message, err=True)


def error_text(exc: GlurpcError) -> str:
    return f"error: {exc.message} [{exc.code}]"


def json_line(record: dict[str, Any], stream: IO[str] | None = None) -> None:
    """One JSON document per line on stdout, flushed so a pipe sees it at once."""
    import json  # only the commands that print JSON pay for it

    out = stream if stream is not None else sys.stdout
    out.write(json.dumps(record, default=str, separators=(",", ":")) + "\n")
    out.flush()


def write_stdout_bytes(data: bytes) -> None:
    stream = sys.stdout.buffer
    stream.write(data)
    stream.flush()


def write_atomic(path: Path, data: bytes) -> None:
    """Write then rename: readers (and resumed batches) see the whole file or none."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        with open(temporary, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def stage_text(frame: dict[str, Any]) -> str:
    """`inference 3/10`, `queued (position 2)`: one progress frame in words."""
    text = str(frame.get("stage", "working"))
    if frame.get("position") is not None:
        text += f" (position {frame['position']})"
    done, total = frame.get("done"), frame.get("total")
    if total:
        text += f" {done or 0}/{total}"
    return text


def stderr_console() -> Any:
    from rich.console import Console  # lazily: terminals only

    return Console(stderr=True)


class StageStatus:
    """A one-line spinner on a terminal that progress frames update; silent otherwise.

    Used as the `on_progress` callback of a client call.
    """

    def __init__(self, label: str, console: Any | None = None, enabled: bool | None = None):
        self.label = label
        self.enabled = stderr_is_tty() if enabled is None else enabled
        self._console = console
        self._status: Any = None

    def __enter__(self) -> StageStatus:
        if self.enabled:
            console = self._console if self._console is not None else stderr_console()
            self._status = console.status(f"{self.label}: connecting")
            self._status.start()
        return self

    def __call__(self, frame: dict[str, Any]) -> None:
        if self._status is not None:
            self._status.update(f"{self.label}: {stage_text(frame)}")

    def __exit__(self, *exc_info: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
