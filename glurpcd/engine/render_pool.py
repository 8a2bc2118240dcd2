"""Render worker processes behind a futures interface (engine-facing; no asyncio here).

Agg rendering holds the GIL, so real parallelism needs processes. Workers are
spawned, never forked: the daemon holds torch threads, and a fork of a
multi-threaded process can deadlock. Each worker prepares one figure and reuses
it. A worker that dies breaks the executor; the next `submit` replaces it, and
the futures that were in flight fail with `RenderError("internal")`. The pool
never imports torch or asyncio; the engine awaits its futures with
`asyncio.wrap_future`.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from glurpc_core.errors import ErrorCode
from glurpc_core.forecast import WindowForecast
from glurpc_core.render.evaluation import render_evaluation
from glurpc_core.render.evaluation_compare import render_comparison
from glurpc_core.render.figure import ForecastFigure
from glurpc_core.render.inputs import RenderError, check_forecast, check_format
from glurpc_core.render.overlay import render_overlay
from glurpc_core.render.plot import render_forecast
from glurpc_core.render.style import PlotStyle
from glurpc_core.render.worker import describe_worker, prepare_worker, render_in_worker

MAX_DEFAULT_WORKERS = 4
log = logging.getLogger("glurpcd.render")


def _logged_notes(context: contextvars.Context, rendered: tuple[bytes, list[str]]) -> bytes:
    image, notes = rendered
    for note in notes:
        context.run(log.warning, "render worker: %s", note)
    return image


def _finished(call: Callable[[], bytes]) -> Future[bytes]:
    """A future already settled with what `call` returns or raises."""
    future: Future[bytes] = Future()
    try:
        future.set_result(call())
    except Exception as exc:  # handed to the waiter, like any executor would
        future.set_exception(exc)
    return future


def _relay(inner: Future[Any], unwrap: Callable[[Any], Any] = lambda result: result) -> Future[Any]:
    """A future that mirrors `inner` (its result passed through `unwrap`),
    turning a dead worker into `RenderError`.

    Cancelling the returned future cancels `inner`, so an abandoned render that
    has not started yet never runs.
    """
    outer: Future[Any] = Future()

    def settle(done: Future[Any]) -> None:
        try:
            if done.cancelled():
                outer.cancel()
            elif isinstance(done.exception(), BrokenProcessPool):
                message = "a render worker process died; the pool restarts on the next render"
                outer.set_exception(RenderError(ErrorCode.INTERNAL, message))
            elif done.exception() is not None:
                outer.set_exception(done.exception())
            else:
                outer.set_result(unwrap(done.result()))
        except InvalidStateError:
            pass  # the waiter cancelled `outer` first; nobody wants this outcome

    def forward_cancel(done: Future[Any]) -> None:
        if done.cancelled():
            inner.cancel()

    inner.add_done_callback(settle)
    outer.add_done_callback(forward_cancel)
    return outer


class RenderPool:
    """Renders forecasts in `workers` spawned processes, or inline when `workers == 0`."""

    def __init__(self, workers: int | None = None) -> None:
        if workers is None:
            workers = min(os.cpu_count() or 1, MAX_DEFAULT_WORKERS)
        if workers < 0:
            raise ValueError(f"workers must be >= 0, not {workers}")
        self.workers = workers
        self._lock = threading.Lock()  # guards the executor swap and the inline figure
        self._executor: ProcessPoolExecutor | None = None
        self._inline_figure: ForecastFigure | None = None
        self._closed = False

    def start(self) -> list[Future[dict[str, Any]]]:
        """Spawn the workers now, so the first plots do not wait ~2 s for start-up.

        Optional: workers otherwise start on demand. The futures settle with each
        task's `describe_worker()` facts once a worker has prepared its figure.
        """
        if self.workers == 0:
            return []
        return [self._submit_call(describe_worker) for _ in range(self.workers)]

    def submit(
        self, forecast: WindowForecast, *, fmt: str, model_id: str, style: PlotStyle | None = None
    ) -> Future[bytes]:
        """A future of the image bytes; failures arrive through it as `RenderError`.

        Bad requests (unknown format, malformed arrays) are found here, without a
        round trip to a worker. Raises RuntimeError after `close`.
        """
        if self._closed:
            raise RuntimeError("the render pool is closed")
        try:
            fmt = check_format(fmt)
            check_forecast(forecast)
        except RenderError as exc:
            failed: Future[bytes] = Future()
            failed.set_exception(exc)
            return failed
        if self.workers == 0:
            return _finished(lambda: self._render_inline(forecast, fmt, model_id, style))
        # The worker's warnings are logged here, in the submitter's context: the
        # daemon's formatter escapes them and stamps the ids of the requests served.
        unwrap = functools.partial(_logged_notes, contextvars.copy_context())
        return self._submit_call(render_in_worker, forecast, fmt, model_id, style, unwrap=unwrap)

    def submit_evaluation(
        self, report: dict[str, Any], points: dict[str, Any], *, fmt: str
    ) -> Future[bytes]:
        """A future of the `glurpc evaluate` figure's bytes (see `submit`)."""
        return self._submit_figure(render_evaluation, report, points, fmt)

    def submit_comparison(self, compared: dict[str, Any], *, fmt: str) -> Future[bytes]:
        """A future of the figure comparing models (`evaluate` with a `model` list)."""
        return self._submit_figure(render_comparison, compared, fmt)

    def submit_overlay(
        self, forecasts: list[WindowForecast], styles: list[PlotStyle], *, fmt: str
    ) -> Future[bytes]:
        """A future of several windows drawn on one axis (`combine: "overlay"`)."""
        return self._submit_figure(render_overlay, forecasts, styles, fmt)

    def _submit_figure(self, draw: Callable[..., bytes], *args: Any) -> Future[bytes]:
        """A future of `draw(*args)`: in a worker, or here when there are none."""
        if self._closed:
            raise RuntimeError("the render pool is closed")
        if self.workers == 0:
            return _finished(lambda: self._inline(draw, *args))
        return self._submit_call(draw, *args)

    def _inline(self, fn: Callable[..., bytes], *args: Any) -> bytes:
        # matplotlib's settings are process-wide: one inline render at a time.
        with self._lock:
            if self._closed:
                raise RuntimeError("the render pool is closed")
            return fn(*args)

    def _render_inline(
        self, forecast: WindowForecast, fmt: str, model_id: str, style: PlotStyle | None
    ) -> bytes:
        with self._lock:
            if self._closed:
                raise RuntimeError("the render pool is closed")
            if self._inline_figure is None:
                self._inline_figure = ForecastFigure()
            return render_forecast(
                forecast, fmt=fmt, model_id=model_id, figure=self._inline_figure, style=style
            )

    def _submit_call(
        self, fn: Callable[..., Any], *args: Any, unwrap: Callable[[Any], Any] = lambda r: r
    ) -> Future[Any]:
        """Run `fn(*args)` in a worker, replacing a broken executor first."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the render pool is closed")
            if self._executor is None:
                self._executor = self._new_executor()
            try:
                inner = self._executor.submit(fn, *args)
            except BrokenProcessPool:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = self._new_executor()
                inner = self._executor.submit(fn, *args)
        return _relay(inner, unwrap)

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=prepare_worker,
        )

    def close(self) -> None:
        """Cancel queued renders, wait for running ones, stop the workers. Idempotent."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
            self._inline_figure = None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> RenderPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
