"""One worker thread of a plot batch: its own connection to the daemon.

Layer: CLI batch runner. A file task sends the csv once (`process`; with
`--subject all`, first a listing that queues one file task per subject) and
queues plot tasks of up to PLOT_CHUNK windows, each ONE request by handle, so
the daemon forecasts them in full model batches. A plot task writes its
images. Everything the user should see goes to the main thread as an event.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from glurpc_wire.codes import ErrorCode

from .batch_tasks import FILE, PLOT, BatchQueues, FileTask, PlotTask
from .client import Client
from .errors import (
    GlurpcError,
    InputUnreadable,
    OverloadedError,
    PermissionDenied,
    RequestFailed,
)
from .output import OutputError, is_complete_image, write_output
from .records import outcome_record
from .session import read_input
from .targets import all_wire_indices

OVERLOADED_ATTEMPTS = 5
PLOT_CHUNK = 16  # windows per plot request: whole model batches; with --jobs 2 one chunk
# renders while the next is forecast
MAX_RETRY_WAIT_S = 30.0
IMAGE_FACTS = ("format", "model", "window_start", "forecast_start")  # from the plot reply


class Worker:
    def __init__(self, queues: BatchQueues, connect: Callable[[], Client]) -> None:
        self.queues = queues
        self.options = queues.options
        self._connect = connect  # a connection of its own, registered for shutdown

    def run(self, client: Client | None) -> None:
        try:
            if client is None:
                client = self._connect()
            while True:
                _, _, task = self.queues.tasks.get()
                if task is None or self.queues.stopping.is_set():
                    return
                if isinstance(task, PlotTask):
                    self._plot(client, task)
                else:
                    self._process(client, task)
                self.queues.emit("finished")
        except Exception as exc:  # noqa: BLE001 - the daemon is gone, refuses us, or a bug
            # Never "finished" after a fatal error: the main thread must see it.
            self.queues.emit("fatal", exc)
        finally:
            if client is not None:
                client.close()

    def _upload(self, subject: str | None) -> dict[str, Any]:
        upload = {k: v for k, v in self.options.upload.items() if k != "subject"}
        return upload if subject is None else {**upload, "subject": subject}

    def _process(self, client: Client, task: FileTask) -> None:
        opts = self.options
        source, subject = task.source, task.subject
        if opts.subject == "all" and subject is None:
            self._each_subject(client, source)
            return
        pending: list[tuple[int, Path]] = []
        if opts.wires is not None:
            pending = self._unfinished(source, subject, opts.wires)
            if not pending:
                return
        args = {"csv": b"", **self._upload(subject)}
        try:
            args["csv"] = read_input(source)
            result = self._patiently(lambda: client.call("process", args))
        except (RequestFailed, InputUnreadable, OSError) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            if not self._daemon_stopping(exc):
                self.queues.emit("planned", 1)
                self._fail(source, None, None, exc, subject)
            return
        warnings = tuple(result.get("warnings") or ())
        self.queues.emit("warnings", (str(source), subject, list(warnings)))
        windows = int(result.get("windows", result.get("samples", 0)))
        if opts.wires is None:
            pending = self._unfinished(source, subject, all_wire_indices(windows, opts.ahead))
        else:
            pending = self._within(source, subject, pending, windows)
        handle = str(result["handle"])
        chunks = [pending[at : at + PLOT_CHUNK] for at in range(0, len(pending), PLOT_CHUNK)]
        self.queues.emit("spawned", len(chunks))
        for chunk in chunks:
            wires, targets = zip(*chunk, strict=True)
            plot = PlotTask(source, subject, handle, tuple(wires), tuple(targets), warnings)
            self.queues.put(PLOT, plot)

    def _within(
        self, source: Path, subject: str | None, pending: list[tuple[int, Path]], windows: int
    ) -> list[tuple[int, Path]]:
        """Windows the file has; the ones it lacks are ONE failure line, in --index terms."""
        kept = [(wire, target) for wire, target in pending if wire > 0 or -wire < windows]
        missing = len(pending) - len(kept)
        if missing:
            self.queues.emit("planned", 1 - missing)
            valid = f"--index 0..{windows - 1}" if windows else "no --index"
            exc = RequestFailed(
                f"{missing} of the windows asked do not exist: this data has {windows} "
                f"windows ({valid}; --ahead for the next hour)",
                code=ErrorCode.INDEX_OUT_OF_RANGE,
            )
            self._fail(source, None, None, exc, subject)
        return kept

    def _each_subject(self, client: Client, source: Path) -> None:
        """`--subject all`: one file task per subject the daemon lists."""
        try:
            listing = client.call("process", {"csv": read_input(source), **self._upload(None)})
        except (RequestFailed, InputUnreadable, OSError) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            if self._daemon_stopping(exc):
                return
            self.queues.emit("planned", 1)
            self._fail(source, None, None, exc)
            return
        subjects = [str(entry["subject"]) for entry in listing.get("subjects") or []]
        if not subjects:
            self.queues.emit("planned", 1)
            self._fail(
                source,
                None,
                None,
                GlurpcError("--subject all: the file has one person", code=ErrorCode.BAD_REQUEST),
            )
            return
        self.queues.emit("spawned", len(subjects))
        for subject in subjects:
            self.queues.put(FILE, FileTask(source, subject))

    def _unfinished(
        self, source: Path, subject: str | None, wires: list[int]
    ) -> list[tuple[int, Path]]:
        """Plan a file's outputs; report the ones `--skip-existing` keeps."""
        opts = self.options
        self.queues.emit("planned", len(wires))
        pending = []
        for wire in wires:
            target = opts.plan.path_for(source, wire, opts.fmt, subject)
            assert target is not None  # a batch never writes to stdout (targets.py)
            if opts.skip_existing and is_complete_image(target, opts.fmt):
                self.queues.emit("record", outcome_record(source, wire, target, "skipped", subject))
            else:
                pending.append((wire, target))
        return pending

    def _plot(self, client: Client, task: PlotTask) -> None:
        handle = task.handle
        try:
            try:
                result = self._patiently(lambda: self._plot_call(client, task, handle))
            except RequestFailed as exc:
                if exc.code != ErrorCode.NOT_FOUND:
                    raise
                # Evicted since `process`: send the csv again and retry once.
                args = {"csv": read_input(task.source), **self._upload(task.subject)}
                handle = str(client.call("process", args)["handle"])
                result = self._patiently(lambda: self._plot_call(client, task, handle))
        except (RequestFailed, InputUnreadable, OSError) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            if not self._daemon_stopping(exc):
                for wire, target in zip(task.wires, task.targets, strict=True):
                    self._fail(task.source, wire, target, exc, task.subject)
            return
        images = result.get("images") or [result]
        for wire, target, entry in zip(task.wires, task.targets, images, strict=True):
            try:
                write_output(target, entry["image"])
            except (OutputError, OSError) as exc:
                self._fail(task.source, wire, target, exc, task.subject)
                continue
            facts = {key: entry.get(key, result.get(key)) for key in IMAGE_FACTS}
            record = outcome_record(
                task.source, wire, target, "written", task.subject, handle=handle,
                bytes=len(entry["image"]), warnings=list(task.warnings), **facts,
            )  # fmt: skip
            self.queues.emit("record", record)

    def _plot_call(self, client: Client, task: PlotTask, handle: str) -> dict[str, Any]:
        wires = list(task.wires)
        which = {"index": wires[0]} if len(wires) == 1 else {"indices": wires}
        args = {"handle": handle, "format": self.options.fmt, **which, **self.options.style}
        return client.call("plot", args)

    def _daemon_stopping(self, exc: Exception) -> bool:
        """A `shutting_down` answer ends the batch once, not once per image."""
        if not isinstance(exc, RequestFailed) or exc.code != ErrorCode.SHUTTING_DOWN:
            return False
        if not self.queues.stopping.is_set():
            self.queues.stopping.set()
            self.queues.emit("shutdown", exc.exit_code)
        return True

    def _patiently(self, call: Any) -> dict[str, Any]:
        """Retry `overloaded` answers after the daemon's hint, a few times."""
        for attempt in range(1, OVERLOADED_ATTEMPTS + 1):
            try:
                return call()
            except OverloadedError as exc:
                if attempt == OVERLOADED_ATTEMPTS:
                    raise
                if self.queues.stopping.wait(min(exc.retry_after, MAX_RETRY_WAIT_S)):
                    raise
        raise AssertionError("unreachable")

    def _fail(
        self,
        source: Path,
        wire: int | None,
        target: Path | None,
        exc: Exception,
        subject: str | None = None,
    ) -> None:
        record = outcome_record(source, wire, target, "failed", subject)
        if isinstance(exc, GlurpcError):
            record.update(code=exc.code, message=exc.message)
            self.queues.emit("record", record, exc.exit_code)
        else:
            record.update(code=ErrorCode.IO_ERROR, message=str(exc))
            self.queues.emit("record", record, 1)
