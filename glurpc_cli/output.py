"""Where the CLI's output goes: results to stdout or files, people-facing text to stderr.

Layer: CLI presentation. Results go to stdout (JSON lines, CSV, images with
`-o -`, never onto a terminal unless forced) or to files (`write_output`:
regular files replaced atomically, special files written through, nothing
else ever replaced or created but a named output directory). Every OS error
is one line naming the path; a closed stdout ends quietly. Human messages, errors
and progress go to stderr. rich is imported only inside functions and only
when stderr is a terminal, so scripts and a cached plot never pay for it.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import threading
from pathlib import Path
from typing import IO, Any

import click

from glurpc_wire.codes import ErrorCode

from .errors import GlurpcError

_quiet = False


def set_quiet(quiet: bool) -> None:
    """`-q` / GLURPC_QUIET: only errors reach stderr (no notes, progress or summaries)."""
    global _quiet
    _quiet = quiet


def is_quiet() -> bool:
    return _quiet


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


def json_text(record: dict[str, Any]) -> str:
    """One JSON document as one line, the way every command prints it."""
    import json  # only the commands that print JSON pay for it

    return json.dumps(record, default=str, separators=(",", ":")) + "\n"


def json_line(record: dict[str, Any], stream: IO[str] | None = None) -> None:
    """One JSON document per line on stdout, flushed so a pipe sees it at once."""
    write_text(json_text(record), stream)


def write_text(text: str, stream: IO[str] | None = None) -> None:
    """Text on stdout (or `stream`), flushed so a pipe sees it at once."""
    out = stream if stream is not None else sys.stdout
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError as exc:
        raise StdoutClosed from exc


class OutputError(GlurpcError):
    """An output that cannot be written: one line naming the path and why (exit 1)."""

    code = ErrorCode.IO_ERROR


class StdoutClosed(Exception):
    """The reader of stdout went away (`| head`): end quietly, as Unix tools do."""


def write_stdout_bytes(data: bytes) -> None:
    stream = sys.stdout.buffer
    try:
        stream.write(data)
        stream.flush()
    except BrokenPipeError as exc:
        raise StdoutClosed from exc
    except OSError as exc:
        raise OutputError(f"cannot write to stdout: {exc.strerror or exc}") from exc


def write_output(path: Path, data: bytes) -> None:
    """Write `data` where the user pointed, never destroying what is there.

    A regular file (or a missing one) is replaced atomically: a temporary file
    in the same directory, fsync, rename; readers and resumed batches see the
    whole file or none. A symlink is followed and its target replaced the same
    way. A device, FIFO or other special file is written through (`-o
    /dev/null` stays a device). A directory is never replaced, and a missing
    parent directory is an error, not created.
    """
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _output_error(path, exc) from exc
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {path}: it is a directory")
    try:
        if info is not None and not stat.S_ISREG(info.st_mode):
            with open(target, "wb") as out:  # a device or FIFO: write through
                out.write(data)
        else:
            _replace_atomically(target, data, info)
    except OSError as exc:
        raise _output_error(path, exc) from exc


def _replace_atomically(path: Path, data: bytes, existing: os.stat_result | None) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"directory {parent} does not exist")
    temporary = parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.part"
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o666
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        # What a plain `open(path, "w")` would have made (umask applies), or
        # the replaced file's own mode.
        os.chmod(temporary, mode if existing is not None else mode & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _output_error(path: Path, exc: OSError) -> OutputError:
    return OutputError(f"cannot write {path}: {exc.strerror or exc}")


def prepare_directory(directory: Path, create: bool) -> None:
    """A directory named with a trailing slash is made; any other must exist."""
    try:
        if create:
            directory.mkdir(parents=True, exist_ok=True)
        elif not directory.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such directory")
    except OSError as exc:
        raise OutputError(f"cannot use directory {directory}: {exc.strerror or exc}") from exc


# Each format's first bytes and what its last bytes end with: a file that has
# both was written whole (a crash mid-write leaves no trailer).
_IMAGE_BOUNDS = {
    "png": (b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
    "pdf": (b"%PDF-", b"%%EOF"),
    "svg": (b"<", b"</svg>"),
}
_TRAILER_SPAN = 64


def is_complete_image(path: Path, fmt: str) -> bool:
    """True when `path` holds a whole image of `fmt` (for --skip-existing)."""
    header, trailer = _IMAGE_BOUNDS[fmt]
    try:
        with open(path, "rb") as image:
            head = image.read(len(header))
            image.seek(0, os.SEEK_END)
            image.seek(max(0, image.tell() - _TRAILER_SPAN))
            tail = image.read().rstrip()
    except OSError:
        return False
    return head == header and tail.endswith(trailer)


def refuse_binary_to_terminal(forced: bool) -> None:
    """Images on a terminal are noise that can upset it (curl refuses too)."""
    if not forced and sys.stdout.isatty():
        raise click.UsageError(
            "refusing to write a binary image to the terminal: "
            "redirect stdout, name a file with -o, or add --force-binary"
        )


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
