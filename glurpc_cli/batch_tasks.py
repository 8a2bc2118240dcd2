"""What a plot batch is made of, shared by its main thread and its workers.

Layer: CLI batch runner. The options, the two kinds of task, the queue that
hands tasks to the workers and the queue of events they report back: the
main thread alone prints and counts (batch.py); workers only talk to the
daemon and write images (batch_worker.py).
"""

from __future__ import annotations

import itertools
import queue
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .targets import OutputPlan

PLOT, FILE, STOP = 0, 1, 2  # queue priorities: plots before new files


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
    warnings: tuple[dict[str, Any], ...] = ()  # the upload's, for each image's record


class BatchQueues:
    """Tasks to the workers (by priority, then in order), events back."""

    def __init__(self, options: BatchOptions) -> None:
        self.options = options
        self.tasks: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self.events: queue.Queue[tuple[str, Any, Any]] = queue.Queue()
        self.stopping = threading.Event()
        self._order = itertools.count()

    def put(self, priority: int, task: FileTask | PlotTask | None) -> None:
        self.tasks.put((priority, next(self._order), task))

    def emit(self, kind: str, payload: Any = None, extra: Any = None) -> None:
        self.events.put((kind, payload, extra))
