"""RenderPool: spawned workers, inline mode, crash recovery, cancellation, errors."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest

from glurpc_core.render import RenderError, render_forecast
from glurpc_core.render.worker import describe_worker
from glurpcd.engine.render_pool import RenderPool, _relay
from tests.render.forecasts import make_forecast
from tests.render.test_evaluation_compare import compared

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def test_inline_pool_renders_in_the_calling_process():
    forecast = make_forecast(seed=8)
    with RenderPool(workers=0) as pool:
        assert pool.start() == []
        future = pool.submit(forecast, fmt="png", model_id="m")
        assert future.done()
        assert future.result() == render_forecast(forecast, model_id="m")


def test_worker_processes_render_the_same_bytes_and_never_load_torch():
    forecasts = [make_forecast(seed=s, index=i) for s, i in ((1, 0), (2, 7), (3, 12))]
    with RenderPool(workers=2) as pool:
        futures = [
            (f, fmt, pool.submit(f, fmt=fmt, model_id="m"))
            for f in forecasts
            for fmt in ("png", "svg", "pdf")
        ]
        for forecast, fmt, future in futures:
            assert future.result() == render_forecast(forecast, fmt=fmt, model_id="m")
        facts = [future.result() for future in pool.start()]
    assert len(facts) == 2
    for worker in facts:
        assert worker["pid"] != os.getpid()
        assert worker["figure_ready"] and not worker["torch_loaded"]


def test_a_worker_draws_a_comparison_of_models_as_the_inline_pool_does():
    reply = compared(sources=2)
    with RenderPool(workers=1) as spawned, RenderPool(workers=0) as inline:
        drawn = spawned.submit_comparison(reply, fmt="png").result()
        assert drawn == inline.submit_comparison(reply, fmt="png").result()


def test_two_workers_render_at_the_same_time():
    # Each task waits at a two-party barrier: it only passes when a second
    # process is inside a task too, so a pool that serialised renders would fail.
    with multiprocessing.get_context("spawn").Manager() as manager:
        barrier = manager.Barrier(2, timeout=60)
        with RenderPool(workers=2) as pool:
            first = pool._submit_call(barrier.wait)
            second = pool._submit_call(barrier.wait)
            assert {first.result(), second.result()} == {0, 1}


def test_a_dead_worker_fails_its_render_and_the_next_submit_gets_a_fresh_pool():
    forecast = make_forecast(seed=9)
    with RenderPool(workers=1) as pool:
        before = pool._submit_call(describe_worker).result()["pid"]
        with pytest.raises(RenderError) as info:
            pool._submit_call(os._exit, 3).result()
        assert info.value.code == "internal"
        png = pool.submit(forecast, fmt="png", model_id="m").result()
        assert png == render_forecast(forecast, model_id="m")
        assert pool._submit_call(describe_worker).result()["pid"] != before


def test_bad_requests_fail_without_starting_a_worker():
    with RenderPool(workers=2) as pool:
        bad_format = pool.submit(make_forecast(), fmt="bmp", model_id="m")
        short = dataclasses.replace(make_forecast(), median=np.zeros(3, np.float32))
        bad_arrays = pool.submit(short, fmt="png", model_id="m")
        assert isinstance(bad_format.exception(), RenderError)
        assert bad_format.exception().code == "bad_request"
        assert bad_arrays.exception().code == "invalid_data"
        assert pool._executor is None


def test_a_closed_pool_refuses_work():
    pool = RenderPool(workers=0)
    pool.close()
    pool.close()
    with pytest.raises(RuntimeError):
        pool.submit(make_forecast(), fmt="png", model_id="m")
    spawned = RenderPool(workers=1)
    spawned.close()
    with pytest.raises(RuntimeError):
        spawned.submit(make_forecast(), fmt="png", model_id="m")


def test_default_worker_count_follows_the_cores():
    assert RenderPool().workers == min(os.cpu_count() or 1, 4)
    with pytest.raises(ValueError):
        RenderPool(workers=-1)


def test_relay_forwards_cancellation_and_translates_a_broken_pool():
    inner: Future[bytes] = Future()
    outer = _relay(inner)
    assert outer.cancel()
    assert inner.cancelled()

    inner = Future()
    outer = _relay(inner)
    inner.set_exception(BrokenProcessPool("gone"))
    assert outer.exception().code == "internal"

    inner = Future()
    outer = _relay(inner)
    inner.set_result(b"png")
    assert outer.result() == b"png"


KILLED_DAEMON = """
import os
from glurpcd.engine.render_pool import RenderPool
from glurpc_core.render.worker import describe_worker
pool = RenderPool(workers=1)
print(pool._submit_call(describe_worker).result()["pid"], flush=True)
os.kill(os.getpid(), 9)
"""


def test_workers_exit_when_the_daemon_is_killed():
    # The worker inherits the stdout pipe, so communicate() only returns once the
    # worker has exited too; without the parent watch it never would.
    parent = subprocess.Popen(
        [sys.executable, "-c", KILLED_DAEMON],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    out, _ = parent.communicate(timeout=60)
    assert parent.returncode == -9
    worker = int(out.split()[0])
    stat = Path(f"/proc/{worker}/stat")
    assert not stat.exists() or stat.read_text().split(") ")[1][0] == "Z"
