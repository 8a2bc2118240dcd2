"""Many plots at once: `glurpc plot *.csv --all -o out/ --jobs N`.

Layer: CLI batch runner. N worker threads, each with its own connection,
take tasks from one priority queue: a file task sends the csv once
(`process`; with `--subject all`, first a listing that queues one file task
per subject) and queues plot tasks of up to PLOT_CHUNK windows, each ONE
request by handle, so the daemon forecasts them in full model batches. Plot
tasks go first, so one file's windows finish while its series is hot in the
daemon's cache. Workers report events to the main thread, which alone prints
and counts. On Ctrl-C or a lost daemon every connection is shut down, which
cancels the open requests on the daemon. A daemon that is shutting down ends
the batch with one line, and records that arrive while the workers stop are
still counted, so the summary matches the files on disk. Nothing here parses
CGM data.
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glurpc_wire.codes import ErrorCode

from .client import Client
from .errors import GlurpcError, OverloadedError, PermissionDenied, RequestFailed
from .output import OutputError, is_complete_image, prepare_directory, write_output
from .report import BatchReporter
from .session import Session, read_source
from .targets import OutputPlan, all_wire_indices, cli_index

OVERLOADED_ATTEMPTS = 5
PLOT_CHUNK = 16  # windows per plot request: whole model batches; with --jobs 2 one chunk
# renders while the next is forecast
MAX_RETRY_WAIT_S = 30.0
_PLOT, _FILE, _STOP = 0, 1, 2  # queue priorities: plots before new files


@dataclass(frozen=True)
class BatchOptions:
    wires: list[int] | None  # None: every window, learned from `process`
    ahead: bool
    fmt: str
    plan: OutputPlan
    jobs: int
    skip_existing: bool
    as_json: bool
    subject: str | None = None  # one subject, "all", or None
    upload: dict[str, Any] = field(default_factory=dict)  # subject/sequence args
    style: dict[str, Any] = field(default_factory=dict)  # units, dpi, title, history_hours


@dataclass(frozen=True)
class FileTask:
    source: Path
    subject: str | None


@dataclass(frozen=True)
class PlotTask:
    source: Path
    subject: str | None
    handle: str
    wires: tuple[int, ...]
    targets: tuple[Path, ...]


class Batch:
    def __init__(self, session: Session, options: BatchOptions, reporter: BatchReporter):
        self.session = session
        self.options = options
        self.reporter = reporter
        self.tasks: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self.events: queue.Queue[tuple[str, Any, Any]] = queue.Queue()
        self.stopping = threading.Event()
        self._order = itertools.count()
        self._clients: list[Client] = []
        self._clients_lock = threading.Lock()

    def run(self, sources: list[Path]) -> int:
        plan = self.options.plan
        if not plan.stdout and plan.file is None:
            prepare_directory(plan.directory, plan.create)
        # The first connection may autostart the daemon; the others must not race it.
        first = self._register(self.session.connect())
        for source in sources:
            self._put(_FILE, FileTask(source, self._one_subject()))
        workers = [
            threading.Thread(target=self._work, args=(first if n == 0 else None,), daemon=True)
            for n in range(self.options.jobs)
        ]
        for worker in workers:
            worker.start()
        try:
            self._collect(outstanding=len(sources))
        finally:
            self._shut_down(workers)
        return self.reporter.exit_code()

    def _collect(self, outstanding: int) -> None:
        while outstanding:
            kind, payload, extra = self.events.get()
            if kind == "shutdown":
                self.reporter.halt("glurpcd is shutting down; the batch stops here", payload)
                return
            if kind == "fatal":
                raise payload
            if kind == "planned":
                self.reporter.grow(payload)
            elif kind == "spawned":
                outstanding += payload
            elif kind == "record":
                self.reporter.record(payload, extra)
            elif kind == "finished":
                outstanding -= 1

    def _shut_down(self, workers: list[threading.Thread]) -> None:
        self.stopping.set()
        with self._clients_lock:
            for client in self._clients:
                client.interrupt()  # wakes a blocked worker; the daemon cancels its request
        for _ in workers:
            self._put(_STOP, None)
        for worker in workers:
            worker.join(timeout=5.0)
        self._count_late_records()

    def _count_late_records(self) -> None:
        """Images written while the batch was stopping still count."""
        while True:
            try:
                kind, payload, extra = self.events.get_nowait()
            except queue.Empty:
                return
            if kind == "record":
                self.reporter.record(payload, extra)

    def _register(self, client: Client) -> Client:
        with self._clients_lock:
            self._clients.append(client)
        return client

    def _put(self, priority: int, task: Any) -> None:
        self.tasks.put((priority, next(self._order), task))

    def _emit(self, kind: str, payload: Any = None, extra: Any = None) -> None:
        self.events.put((kind, payload, extra))

    # -- worker side ----------------------------------------------------------

    def _work(self, client: Client | None) -> None:
        try:
            if client is None:
                client = self._register(self.session.connect(autostart=False))
            while True:
                _, _, task = self.tasks.get()
                if task is None or self.stopping.is_set():
                    return
                if isinstance(task, PlotTask):
                    self._plot(client, task)
                else:
                    self._process(client, task)
                self._emit("finished")
        except Exception as exc:  # noqa: BLE001 - the daemon is gone, refuses us, or a bug
            # Never "finished" after a fatal error: the main thread must see it.
            self._emit("fatal", exc)
        finally:
            if client is not None:
                client.close()

    def _one_subject(self) -> str | None:
        subject = self.options.subject
        return None if subject == "all" else subject

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
            args["csv"] = read_source(source)
            result = self._patiently(lambda: client.call("process", args))
        except (RequestFailed, OSError) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            self._emit("planned", 1)
            self._fail(source, None, None, exc, subject)
            return
        windows = int(result.get("windows", result.get("samples", 0)))
        if opts.wires is None:
            pending = self._unfinished(source, subject, all_wire_indices(windows, opts.ahead))
        else:
            pending = self._within(source, subject, pending, windows)
        handle = str(result["handle"])
        chunks = [pending[at : at + PLOT_CHUNK] for at in range(0, len(pending), PLOT_CHUNK)]
        self._emit("spawned", len(chunks))
        for chunk in chunks:
            wires, targets = zip(*chunk, strict=True)
            self._put(_PLOT, PlotTask(source, subject, handle, tuple(wires), tuple(targets)))

    def _within(
        self, source: Path, subject: str | None, pending: list[tuple[int, Path]], windows: int
    ) -> list[tuple[int, Path]]:
        """Windows the file has; the ones it lacks are ONE failure line, in --index terms."""
        kept = [(wire, target) for wire, target in pending if wire > 0 or -wire < windows]
        missing = len(pending) - len(kept)
        if missing:
            self._emit("planned", 1 - missing)
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
            listing = client.call("process", {"csv": read_source(source), **self._upload(None)})
        except (RequestFailed, OSError) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            if self._daemon_stopping(exc):
                return
            self._emit("planned", 1)
            self._fail(source, None, None, exc)
            return
        subjects = [str(entry["subject"]) for entry in listing.get("subjects") or []]
        if not subjects:
            self._emit("planned", 1)
            self._fail(source, None, None, OSError("--subject all: the file has one person"))
            return
        self._emit("spawned", len(subjects))
        for subject in subjects:
            self._put(_FILE, FileTask(source, subject))

    def _unfinished(
        self, source: Path, subject: str | None, wires: list[int]
    ) -> list[tuple[int, Path]]:
        """Plan a file's outputs; report the ones `--skip-existing` keeps."""
        opts = self.options
        self._emit("planned", len(wires))
        pending = []
        for wire in wires:
            target = opts.plan.path_for(source, wire, opts.fmt, subject)
            assert target is not None  # a batch never writes to stdout (targets.py)
            if opts.skip_existing and is_complete_image(target, opts.fmt):
                self._emit("record", _record(source, wire, target, "skipped", subject))
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
                args = {"csv": read_source(task.source), **self._upload(task.subject)}
                handle = str(client.call("process", args)["handle"])
                result = self._patiently(lambda: self._plot_call(client, task, handle))
        except (RequestFailed, OSError) as exc:
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
            record = _record(task.source, wire, target, "written", task.subject)
            record.update(handle=handle, bytes=len(entry["image"]))
            self._emit("record", record)

    def _plot_call(self, client: Client, task: PlotTask, handle: str) -> dict[str, Any]:
        wires = list(task.wires)
        which = {"index": wires[0]} if len(wires) == 1 else {"indices": wires}
        args = {"handle": handle, "format": self.options.fmt, **which, **self.options.style}
        return client.call("plot", args)

    def _daemon_stopping(self, exc: Exception) -> bool:
        """A `shutting_down` answer ends the batch once, not once per image."""
        if not isinstance(exc, RequestFailed) or exc.code != ErrorCode.SHUTTING_DOWN:
            return False
        if not self.stopping.is_set():
            self.stopping.set()
            self._emit("shutdown", exc.exit_code)
        return True

    def _patiently(self, call: Any) -> dict[str, Any]:
        """Retry `overloaded` answers after the daemon's hint, a few times."""
        for attempt in range(1, OVERLOADED_ATTEMPTS + 1):
            try:
                return call()
            except OverloadedError as exc:
                if attempt == OVERLOADED_ATTEMPTS:
                    raise
                if self.stopping.wait(min(exc.retry_after, MAX_RETRY_WAIT_S)):
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
        record = _record(source, wire, target, "failed", subject)
        if isinstance(exc, GlurpcError):
            record.update(code=exc.code, message=exc.message)
            self._emit("record", record, exc.exit_code)
        else:
            record.update(code=ErrorCode.IO_ERROR, message=str(exc))
            self._emit("record", record, 1)


def _record(
    source: Path, wire: int | None, target: Path | None, status: str, subject: str | None = None
) -> dict[str, Any]:
    return {
        "file": str(source),
        "subject": subject,
        "index": cli_index(wire) if wire is not None else None,
        "wire_index": wire,
        "output": str(target) if target is not None else None,
        "status": status,
    }


def run_batch(session: Session, sources: list[Path], options: BatchOptions) -> int:
    """Run the batch; the exit code is 0, or the first failure's (errors.py)."""
    with BatchReporter(options.as_json) as reporter:
        return Batch(session, options, reporter).run(sources)
