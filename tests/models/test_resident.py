"""The resident set: loads shared as lifecycle jobs, abandoned when their last
request leaves, and the memory budget with least-recently-used eviction.
Driven through the real Engine and Registry (tests/lifecycle/gates.py), with
real model files behind a loader gate (store.py)."""

from __future__ import annotations

import asyncio

import pytest

from glurpc_core.errors import OpError
from glurpc_wire.codes import ErrorCode
from glurpcd.lifecycle import Duplicates, JobState, Outcome
from glurpcd.models import Models
from glurpcd.observe.lifecycle_status import status_snapshot
from tests.lifecycle.gates import GatedModel, make_engine, settle

from .store import LARGER, GatedLoader, make_store, shipped_catalog


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 60))


def build(tmp_path, budget_slack, names=None, config=None, duplicates=Duplicates.COALESCE):
    store = make_store(tmp_path / "models", names or {"alpha": 1, "beta": 2}, config or LARGER)
    catalog = shipped_catalog(store)
    registry, engine = make_engine(GatedModel(), duplicates)
    loader = GatedLoader()
    budget = catalog.default.size + budget_slack(catalog)
    models = Models(catalog, GatedModel(), load=loader, engine=engine, budget_bytes=budget)
    engine.start()
    return registry, engine, models, loader


def holding(registry, models, name, release=None):
    """A request (its own task, as a connection runs it) that holds `name`
    until `release` is set; `request.held` is set once it holds it."""
    request = registry.open_request("forecast", "uid=0/pid=0")
    release = release or asyncio.Event()
    request.held = asyncio.Event()

    async def hold():
        async with models.use(request, models.choose(name)) as model:
            request.held.set()
            await release.wait()
            return model

    request.task = asyncio.create_task(hold())
    return request, release


def test_a_load_is_shared_by_two_requests_and_abandoned_when_both_leave(tmp_path):
    async def scenario():
        registry, engine, models, loader = build(tmp_path, lambda c: 10 * c.get("alpha").size)
        alpha = models.choose("alpha")
        first, _ = holding(registry, models, "alpha")
        second, _ = holding(registry, models, "alpha")
        assert await loader.next_load() == "alpha"
        await settle()
        job = registry.find(f"load:{alpha.model_id}")
        assert job is not None and job.state is JobState.RUNNING
        assert job.spec.kind == "load_model" and job.spec.model == alpha.model_id
        assert set(job.requests) == {first.request_id, second.request_id}
        assert models.snapshot()["loading"][0]["requests"] == 2

        registry.cancel(first)
        await settle()
        assert job.wanted, "one request still waits: the load goes on"
        registry.cancel(second)
        await settle()
        assert not job.wanted
        assert registry.find(job.key) is None
        assert models.snapshot()["loading"] == []

        stopped = asyncio.Event()
        original = registry.job_stopped

        def job_stopped(stopping):
            original(stopping)
            stopped.set()

        registry.job_stopped = job_stopped
        loader.gate.set()  # the load already reading its file finishes: thrown away
        await stopped.wait()
        assert status_snapshot(registry)["jobs"]["abandoned"] == 1
        assert loader.loaded == ["alpha"], "one load for both requests"
        assert not models.is_resident(alpha.model_id)
        assert models.loads == 0
        for request in (first, second):
            with pytest.raises(asyncio.CancelledError):
                await request.task
        assert registry.is_empty()
        await engine.stop()

    run(scenario)


@pytest.mark.parametrize("duplicates", list(Duplicates))
def test_a_finished_load_serves_every_request_that_waited(tmp_path, duplicates):
    """Under `supersede` too: requests for different windows need one load,
    and a load is not an identical request."""

    async def scenario():
        registry, engine, models, loader = build(
            tmp_path, lambda c: 10 * c.get("alpha").size, duplicates=duplicates
        )
        first, release = holding(registry, models, "alpha")
        second, _ = holding(registry, models, "alpha", release=release)
        await loader.next_load()
        loader.gate.set()
        release.set()
        one, two = await first.task, await second.task
        assert one is two and models.loads == 1
        assert models.snapshot()["resident"][1]["requests"] == 0
        for request in (first, second):
            registry.close_request(request, Outcome.COMPLETED)
        assert registry.is_empty()
        await engine.stop()

    run(scenario)


def test_an_idle_model_is_evicted_least_recently_used_first_under_a_small_budget(tmp_path):
    async def scenario():
        # Room for exactly one store model beside the default.
        registry, engine, models, loader = build(
            tmp_path, lambda c: c.get("alpha").size + c.get("beta").size // 2
        )
        loader.gate.set()
        alpha, beta = models.choose("alpha"), models.choose("beta")
        first, release = holding(registry, models, "alpha")
        release.set()
        await first.task
        assert models.is_resident(alpha.model_id)

        second, release = holding(registry, models, "beta")
        await second.held.wait()
        assert models.is_resident(beta.model_id)
        assert not models.is_resident(alpha.model_id), "the idle model made room"
        assert models.evictions == 1
        assert models.committed_bytes() <= models.budget_bytes

        # beta is busy now: alpha cannot come back beside it.
        blocked = registry.open_request("forecast", "uid=0/pid=0")
        with pytest.raises(OpError) as busy:
            async with models.use(blocked, alpha):
                pass
        assert busy.value.code is ErrorCode.OVERLOADED
        assert busy.value.details["reason"] == "models_busy"
        assert models.is_resident(beta.model_id), "a busy model is never evicted"
        release.set()
        await second.task
        for request in (first, second, blocked):
            registry.close_request(request, Outcome.COMPLETED)
        await engine.stop()

    run(scenario)


def test_a_model_larger_than_the_budget_is_refused_with_its_size_and_the_budget(tmp_path):
    async def scenario():
        registry, engine, models, loader = build(tmp_path, lambda c: c.get("alpha").size // 2)
        request = registry.open_request("forecast", "uid=0/pid=0")
        with pytest.raises(OpError) as refused:
            async with models.use(request, models.choose("alpha")):
                pass
        error = refused.value
        assert error.code is ErrorCode.MODEL_TOO_LARGE
        assert error.details["bytes"] == models.choose("alpha").size
        assert error.details["budget_bytes"] == models.budget_bytes
        assert "MiB" in error.message and "--models-mb" in error.message
        assert loader.entered.empty(), "nothing was loaded"
        registry.close_request(request, Outcome.FAILED)
        assert registry.is_empty()
        await engine.stop()

    run(scenario)


def test_an_unknown_name_is_model_not_found_with_the_known_names(tmp_path):
    async def scenario():
        registry, engine, models, _ = build(tmp_path, lambda c: 0)
        with pytest.raises(OpError) as missing:
            models.choose("gamma")
        assert missing.value.code is ErrorCode.MODEL_NOT_FOUND
        assert set(missing.value.details["known"]) >= {"default", "alpha", "beta"}
        assert models.choose(models.choose("alpha").model_id).name == "alpha"
        await engine.stop()

    run(scenario)
