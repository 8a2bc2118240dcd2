"""Failures inside the engine are never silent: a job whose store callback
raises fails alone (logged once) and its lane keeps serving; a worker that
fails outside any job stops the engine through its supervisor, logged."""

from __future__ import annotations

import asyncio
import logging

import pytest

from glurpc_core.errors import ErrorCode, OpError
from glurpcd.engine.lanes import Lane
from glurpcd.lifecycle import JobSpec

from .gates import WAIT_S, Gate, GatedModel, make_engine, start


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 30))


def render_spec(name: str) -> JobSpec:
    return JobSpec(f"image:{name}", "image", name, 0)


def broken_store(result):
    raise RuntimeError("the store callback broke")


def test_a_store_that_raises_fails_its_job_and_the_lane_keeps_serving(caplog):
    caplog.set_level(logging.ERROR, logger="glurpcd.engine")

    async def scenario():
        registry, engine = make_engine(GatedModel())
        engine.start()
        first, second = Gate("first"), Gate("second")
        first.finish.set()
        second.finish.set()
        broken = start(registry, engine, render_spec("a"), Lane.RENDER, first, broken_store)
        with pytest.raises(OpError) as failed:
            await asyncio.wait_for(broken.task, WAIT_S)
        assert failed.value.code is ErrorCode.INTERNAL
        # The lane's only worker took the failure in its stride.
        stored = []
        healthy = start(registry, engine, render_spec("b"), Lane.RENDER, second, stored.append)
        assert await asyncio.wait_for(healthy.task, WAIT_S) == "second"
        assert stored == ["second"]
        await engine.stop()

    run(scenario)
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is RuntimeError]
    assert len(logged) == 1
    assert "image:a" in logged[0].getMessage()


def test_a_worker_that_fails_outside_a_job_stops_the_engine_loudly(caplog):
    caplog.set_level(logging.CRITICAL, logger="glurpcd.engine")

    async def scenario():
        registry, engine = make_engine(GatedModel())
        failed = asyncio.Event()

        def begin_with_a_bug(work):
            raise KeyError("a bug in the worker loop")

        engine._begin = begin_with_a_bug  # the checkpoint every worker passes first
        engine.start(on_failure=failed.set)
        start(registry, engine, render_spec("a"), Lane.RENDER, Gate())
        await asyncio.wait_for(failed.wait(), WAIT_S)
        await engine.stop()

    run(scenario)
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(critical) == 1
    assert "engine worker failed" in critical[0].getMessage()
