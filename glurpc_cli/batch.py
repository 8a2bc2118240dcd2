"""Many plots at once: `glurpc plot *.csv --all -o out/ --jobs N`.

Layer: CLI batch runner, main thread. N worker threads (batch_worker.py),
each with its own connection, take tasks from one priority queue; plot tasks
go first, so one file's windows finish while its series is hot in the
daemon's cache. Workers report events to this thread, which alone prints and
counts. On Ctrl-C or a lost daemon every connection is shut down, which
cancels the open requests on the daemon. A daemon that is shutting down ends
the batch with one line, and records that arrive while the workers stop are
still counted, so the summary matches the files on disk. Nothing here parses
CGM data.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from .batch_tasks import FILE, STOP, BatchOptions, BatchQueues, FileTask
from .batch_worker import Worker
from .client import Client
from .output import prepare_directory
from .report import BatchReporter
from .session import Session


class Batch:
    def __init__(self, session: Session, options: BatchOptions, reporter: BatchReporter):
        self.session = session
        self.options = options
        self.reporter = reporter
        self.queues = BatchQueues(options)
        self._clients: list[Client] = []
        self._clients_lock = threading.Lock()

    def run(self, sources: list[Path]) -> int:
        plan = self.options.plan
        if not plan.stdout and plan.file is None:
            prepare_directory(plan.directory, plan.create)
        # The first connection may autostart the daemon; the others must not race it.
        first = self._register(self.session.connect())
        subject = None if self.options.subject == "all" else self.options.subject
        for source in sources:
            self.queues.put(FILE, FileTask(source, subject))
        workers = [
            threading.Thread(
                target=Worker(self.queues, self._connect).run,
                args=(first if n == 0 else None,),
                daemon=True,
            )
            for n in range(self.options.jobs)
        ]
        for thread in workers:
            thread.start()
        try:
            self._collect(outstanding=len(sources))
        finally:
            self._shut_down(workers)
        return self.reporter.exit_code()

    def _collect(self, outstanding: int) -> None:
        while outstanding:
            kind, payload, extra = self.queues.events.get()
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
            elif kind == "warnings":
                self.reporter.warnings(*payload)
            elif kind == "finished":
                outstanding -= 1

    def _shut_down(self, workers: list[threading.Thread]) -> None:
        self.queues.stopping.set()
        with self._clients_lock:
            for client in self._clients:
                client.interrupt()  # wakes a blocked worker; the daemon cancels its request
        for _ in workers:
            self.queues.put(STOP, None)
        for worker in workers:
            worker.join(timeout=5.0)
        self._count_late_records()

    def _count_late_records(self) -> None:
        """Images written while the batch was stopping still count."""
        while True:
            try:
                kind, payload, extra = self.queues.events.get_nowait()
            except queue.Empty:
                return
            if kind == "record":
                self.reporter.record(payload, extra)

    def _connect(self) -> Client:
        return self._register(self.session.connect(autostart=False))

    def _register(self, client: Client) -> Client:
        with self._clients_lock:
            self._clients.append(client)
        return client


def run_batch(session: Session, sources: list[Path], options: BatchOptions) -> int:
    """Run the batch; the exit code is 0, or the first failure's (errors.py)."""
    with BatchReporter(options.as_json) as reporter:
        return Batch(session, options, reporter).run(sources)
