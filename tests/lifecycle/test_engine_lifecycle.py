"""The lifecycle mechanism, driven through the real Engine and Registry with
compute gated by events (tests/lifecycle/gates.py)."""

from __future__ import annotations

import asyncio

import pytest

from glurpc_core.errors import OpError
from glurpcd.engine.lanes import Lane
from glurpcd.engine.payloads import ForecastPayload
from glurpcd.lifecycle import Duplicates, JobSpec, JobState, Outcome, Priority
from glurpcd.observe.lifecycle_status import status_snapshot

from .gates import Gate, GatedModel, forecast_spec, make_engine, observe_stops, settle, start


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 30))


def make(duplicates=Duplicates.COALESCE, steps=1, queue_size=256):
    model = GatedModel(steps=steps)
    registry, engine = make_engine(model, duplicates, queue_size)
    engine.start()
    return registry, model, engine


def payload(index):
    return ForecastPayload(series=None, index=index)


def test_single_request_gets_result_and_leaves_nothing_behind():
    async def scenario():
        registry, model, engine = make()
        stored = []
        request = start(registry, engine, forecast_spec(0), Lane.MODEL, payload(0), stored.append)
        assert await model.next_batch() == (0,)
        assert registry.find("forecast:h1:0").state is JobState.RUNNING
        model.release()
        assert await request.task == "forecast-0"
        registry.close_request(request, Outcome.COMPLETED)
        assert stored == ["forecast-0"]
        assert registry.is_empty()
        assert status_snapshot(registry)["jobs"]["completed"] == 1
        await engine.stop()

    run(scenario)


def test_coalesced_duplicates_share_one_computation():
    async def scenario():
        registry, model, engine = make()
        requests = [
            start(registry, engine, forecast_spec(0), Lane.MODEL, payload(0)) for _ in range(5)
        ]
        await model.next_batch()
        job = registry.find("forecast:h1:0")
        assert len(job.requests) == 5
        assert status_snapshot(registry)["attached"][0]["requests"] == 5
        model.release()
        results = await asyncio.gather(*(r.task for r in requests))
        assert results == ["forecast-0"] * 5
        assert model.calls == [(0,)]
        assert status_snapshot(registry)["jobs"]["completed"] == 1
        assert status_snapshot(registry)["jobs"]["average_attachments"] == 5
        await engine.stop()

    run(scenario)


def test_supersede_ends_older_requests_and_only_newest_computes():
    async def scenario():
        registry, model, engine = make(Duplicates.SUPERSEDE)
        # Keep the model busy so the duplicates queue behind it.
        blocker = start(registry, engine, forecast_spec(9, "other"), Lane.MODEL, payload(9))
        await model.next_batch()
        older = [
            start(registry, engine, forecast_spec(0), Lane.MODEL, payload(0)) for _ in range(2)
        ]
        await settle()
        newest = start(registry, engine, forecast_spec(0), Lane.MODEL, payload(0))
        await settle()
        for request in older:
            with pytest.raises(asyncio.CancelledError):
                await request.task
            assert request.outcome is Outcome.SUPERSEDED
        model.release()  # the blocker
        await blocker.task
        assert await model.next_batch() == (0,)
        model.release()
        assert await newest.task == "forecast-0"
        assert model.calls == [(9,), (0,)]  # the stale job never computed
        snapshot = status_snapshot(registry)
        assert snapshot["jobs"]["stale_discarded"] == 2  # each older one was superseded in turn
        assert snapshot["requests"]["superseded"] == 2
        await engine.stop()

    run(scenario)


def test_disconnect_detaches_one_request_and_abandons_only_at_zero():
    async def scenario():
        registry, model, engine = make(steps=4)
        a = start(registry, engine, forecast_spec(0), Lane.MODEL, payload(0))
        b = start(registry, engine, forecast_spec(0), Lane.MODEL, payload(0))
        await model.next_batch()
        job = registry.find("forecast:h1:0")
        registry.cancel(a)  # what EOF on a's connection does
        assert len(job.requests) == 1 and job.wanted
        model.release()
        await model.next_batch()  # still running for b
        registry.cancel(b)
        assert not job.wanted and registry.find("forecast:h1:0") is None
        stopped = observe_stops(registry)
        model.release(3)  # enough for every batch: only the one in flight may run
        await asyncio.gather(a.task, b.task, return_exceptions=True)
        await stopped.wait()  # the worker reported the job given up
        assert len(model.batches_run) == 2  # of 4: stopped at the next checkpoint
        snapshot = status_snapshot(registry)
        assert snapshot["jobs"]["completed"] == 0
        assert snapshot["requests"]["cancelled"] == 2
        assert snapshot["latency_ms"]["disconnect_to_abandon_p50"] is not None
        assert registry.is_empty()
        await engine.stop()

    run(scenario)


def test_queued_job_abandoned_before_it_starts_costs_no_compute():
    async def scenario():
        registry, model, engine = make()
        blocker = start(registry, engine, forecast_spec(1), Lane.MODEL, payload(1))
        await model.next_batch()
        queued = start(registry, engine, forecast_spec(2, "h2"), Lane.MODEL, payload(2))
        await settle()
        assert len(engine.queues[Lane.MODEL]) == 1
        registry.cancel(queued)
        assert len(engine.queues[Lane.MODEL]) == 0  # removed at once
        model.release()
        await blocker.task
        assert model.calls == [(1,)]
        assert status_snapshot(registry)["jobs"]["abandoned"] == 1
        await engine.stop()

    run(scenario)


def test_request_ids_are_unique_and_increasing_under_load():
    async def scenario():
        registry, model, engine = make()
        requests = [
            start(registry, engine, forecast_spec(i % 7, f"h{i % 3}"), Lane.MODEL, payload(i % 7))
            for i in range(300)
        ]
        ids = [r.request_id for r in requests]
        assert ids == list(range(1, 301))
        await settle()
        attached = sum(len(job.requests) for job in registry.jobs())
        assert attached == 300
        assert len(registry.jobs()) == 21  # 7 indices x 3 handles
        model.release(21)  # at most one batch per job
        await asyncio.gather(*(r.task for r in requests))
        assert len(model.calls) == 3  # one forward pass per handle: 7 windows batched
        for request in requests:
            registry.close_request(request, Outcome.COMPLETED)
        assert registry.is_empty()
        assert status_snapshot(registry)["jobs"]["completed"] == 21
        await engine.stop()

    run(scenario)


def test_background_job_survives_disconnects_and_is_never_stale():
    async def scenario():
        registry, model, engine = make(Duplicates.SUPERSEDE)
        blocker = start(registry, engine, forecast_spec(0, "busy"), Lane.MODEL, payload(0))
        await model.next_batch()
        stored = []
        assert engine.schedule_background(forecast_spec(3), payload(3), stored.append)
        job = registry.find("forecast:h1:3")
        assert job.priority is Priority.BACKGROUND
        joiner = start(registry, engine, forecast_spec(3), Lane.MODEL, payload(3))
        await settle()
        assert job.priority is Priority.INTERACTIVE  # raised by the interactive request
        assert registry.find("forecast:h1:3") is job  # attached, not superseded
        registry.cancel(joiner)
        assert job.wanted and job.priority is Priority.BACKGROUND
        model.release()
        await blocker.task
        assert await model.next_batch() == (3,)
        model.release()
        await job.future
        assert stored == ["forecast-3"]
        assert status_snapshot(registry)["jobs"]["abandoned"] == 0
        await engine.stop()

    run(scenario)


def test_interactive_runs_before_queued_background_work():
    async def scenario():
        registry, model, engine = make()
        model.batch_rows = 1  # one window per forward pass
        blocker = start(registry, engine, forecast_spec(0, "busy"), Lane.MODEL, payload(0))
        await model.next_batch()
        for index in range(1, 4):
            engine.schedule_background(forecast_spec(-index, "bg"), payload(-index), print)
        interactive = start(registry, engine, forecast_spec(5, "fg"), Lane.MODEL, payload(5))
        await settle()
        model.release()
        await blocker.task
        assert await model.next_batch() == (5,)
        model.release()
        assert await interactive.task == "forecast-5"
        model.release(3)
        await engine.stop()

    run(scenario)


def test_full_queue_answers_overloaded_with_retry_hint():
    async def scenario():
        registry, model, engine = make(queue_size=2)
        gate = Gate()
        busy = start(registry, engine, JobSpec("prepare:a", "prepare", "a"), Lane.RENDER, gate)
        await gate.started.wait()
        waiting = [
            start(registry, engine, JobSpec(f"prepare:{n}", "prepare", str(n)), Lane.RENDER, Gate())
            for n in range(3)
        ]
        await settle()
        with pytest.raises(OpError) as failure:
            await waiting[2].task
        assert failure.value.code == "overloaded"
        assert failure.value.details["retry_after"] > 0
        gate.finish.set()
        await busy.task
        await engine.stop()

    run(scenario)
