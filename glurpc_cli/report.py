"""What a batch shows while it runs: JSON lines, a progress bar, errors, a summary.

Layer: CLI presentation for `batch.py`, called from the main thread only.
JSON lines (one per image) go to stdout; the progress bar, failures and the
summary go to stderr. rich is imported only when stderr is a terminal.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from glurpc_wire.codes import ExitCode

from .data_warnings import warning_lines
from .output import StdoutClosed, error, info, json_line, stderr_is_tty


class BatchReporter:
    def __init__(
        self,
        as_json: bool,
        *,
        console: Any | None = None,
        tty: bool | None = None,
        label: str = "plotting",
    ):
        self.as_json = as_json
        self.label = label
        self.tty = stderr_is_tty() if tty is None else tty
        self.counts: Counter[str] = Counter()
        self._console = console
        self._first_failure = ExitCode.OK
        self._total = 0
        self._progress: Any = None
        self._bar: Any = None

    def __enter__(self) -> BatchReporter:
        if self.tty:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            console = self._console if self._console is not None else Console(stderr=True)
            self._progress = Progress(
                TextColumn(self.label), BarColumn(), MofNCompleteColumn(), console=console
            )
            self._progress.start()
            self._bar = self._progress.add_task("plot", total=None)
        return self

    def __exit__(self, kind: object, *exc_info: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        if kind is not StdoutClosed:  # `| head` took what it wanted: end quietly
            self._say(self.summary())

    def grow(self, planned: int) -> None:
        """More images are known to be wanted (a file's windows were planned)."""
        self._total += planned
        if self._progress is not None:
            self._progress.update(self._bar, total=self._total)

    def record(self, record: dict[str, Any], exit_code: ExitCode | None = None) -> None:
        status = record["status"]
        self.counts[status] += 1
        if status == "failed" and self._first_failure == ExitCode.OK:
            self._first_failure = exit_code or ExitCode.FAILED
        if self.as_json:
            json_line(record)
        if status == "failed":
            where = (
                record["file"]
                if record["index"] is None
                else (
                    f"{record['file']} index {record['index']}"
                    if record["wire_index"] <= 0
                    else f"{record['file']} ahead {record['wire_index']}"
                )
            )
            self._say(
                f"error: {where}: {record.get('message')} [{record.get('code')}]", failure=True
            )
        if self._progress is not None:
            self._progress.advance(self._bar)

    def warnings(self, file: str, subject: str | None, warnings: list[dict[str, Any]]) -> None:
        """A file's data warnings, once, above the progress bar (silenced by -q)."""
        for line in warning_lines(file, subject, warnings):
            self._say(line)

    def halt(self, message: str, exit_code: ExitCode) -> None:
        """The batch stops early (the daemon is going away): one line."""
        if self._first_failure == ExitCode.OK:
            self._first_failure = exit_code
        self._say(message)

    def summary(self) -> str:
        parts = [f"{self.counts[key]} {key}" for key in ("written", "skipped", "failed")]
        return ", ".join(parts)

    def exit_code(self) -> int:
        return self._first_failure

    def _say(self, message: str, *, failure: bool = False) -> None:
        if self._progress is not None:
            self._progress.console.print(message, markup=False, highlight=False)
        elif failure:
            error(message)
        else:
            info(message)
