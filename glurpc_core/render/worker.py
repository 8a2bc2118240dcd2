"""The render worker process side: prepare a figure once, then render with it.

These functions run inside the RenderPool's spawned processes. They import
matplotlib and the render package only; never torch (the daemon holds the model)
and never asyncio. `_PREPARED` is the one piece of module state: it exists only
inside a worker process, where ProcessPoolExecutor offers no other home for
per-process state, and holds that process's prepared figure.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from collections.abc import Iterator
from multiprocessing.connection import wait
from typing import Any

from glurpc_core.forecast import WindowForecast
from glurpc_core.render.figure import ForecastFigure
from glurpc_core.render.plot import render_forecast
from glurpc_core.render.style import PlotStyle

_PREPARED: dict[str, ForecastFigure] = {}
MAX_NOTES = 5  # warnings handed back per render; a title cannot flood the log


def prepare_worker() -> None:
    """Pool initializer: build and warm this process's figure before the first plot."""
    # The daemon owns the workers' lifetime: a Ctrl-C or SIGTERM sent to the whole
    # process group must not kill renders that a draining daemon still waits for.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _exit_with_parent()
    figure = ForecastFigure()
    figure.warm_up()
    _PREPARED["figure"] = figure


def _exit_with_parent() -> None:
    """Exit as soon as the daemon dies, even by SIGKILL.

    Workers ignore SIGTERM and block reading the task queue, whose write end they
    also hold, so nothing else would ever end them: they would outlive a killed
    daemon, holding memory and its stdout.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return
    sentinel = parent.sentinel

    def watch() -> None:
        wait([sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def render_in_worker(
    forecast: WindowForecast, fmt: str, model_id: str, style: PlotStyle | None = None
) -> tuple[bytes, list[str]]:
    """One plot on this process's prepared figure (built here if the initializer
    did not), with what the render warned or logged: this process's stderr is
    not the daemon's log, so the daemon logs those through its own formatter,
    under the ids of the requests the image is for."""
    figure = _PREPARED.get("figure")
    if figure is None:
        figure = _PREPARED.setdefault("figure", ForecastFigure())
    with _notes() as notes:
        image = render_forecast(forecast, fmt=fmt, model_id=model_id, figure=figure, style=style)
    return image, notes[:MAX_NOTES]


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self._into = into

    def emit(self, record: logging.LogRecord) -> None:
        if len(self._into) < MAX_NOTES:
            self._into.append(f"{record.name}: {record.getMessage()}")


@contextlib.contextmanager
def _notes() -> Iterator[list[str]]:
    """Warnings and log records of WARNING and above raised inside the block."""
    notes: list[str] = []
    collect = _Collect(notes)
    root = logging.getLogger()
    root.addHandler(collect)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield notes
    finally:
        root.removeHandler(collect)
    notes.extend(f"{w.category.__name__}: {w.message}" for w in caught[:MAX_NOTES])


def describe_worker() -> dict[str, Any]:
    """Facts about this worker process, for status and tests."""
    return {
        "pid": os.getpid(),
        "figure_ready": "figure" in _PREPARED,
        "torch_loaded": "torch" in sys.modules,
    }
