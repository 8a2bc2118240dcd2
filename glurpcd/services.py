"""Builds and tears down everything the daemon serves with, in one place.

Layer: composition root. No singletons: the model, the caches, the lifecycle
registry, the engine and the ops are created here and passed down; tests can
build their own the same way.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any

from .admission import ConnectionBounds
from .background import BackgroundBudget
from .cache import CacheStore
from .config import DaemonConfig
from .connection import Connection
from .engine import Engine
from .jobqueue import LaneQueues
from .lifecycle import Registry
from .ops import AdminOps, ForecastOps, Ops, ResultStore, UploadResolver
from .render import RenderPool

log = logging.getLogger("glurpcd")

MIB = 1024 * 1024


@dataclass
class Services:
    config: DaemonConfig
    forecaster: Any
    device: str
    registry: Registry
    engine: Engine
    cache: CacheStore
    results: ResultStore
    renderer: RenderPool
    admin: AdminOps
    ops: Ops
    connections: set[Connection]  # the daemon's open connections, counted in `status`
    bounds: ConnectionBounds  # their number, buffers and flow rules

    def model_info(self) -> dict[str, Any]:
        return model_info(self.forecaster)

    async def close(self) -> None:
        await self.engine.stop()
        await asyncio.to_thread(self.results.close)
        await asyncio.to_thread(self.renderer.close)


def model_info(forecaster: Any) -> dict[str, Any]:
    return {
        "id": forecaster.model_id,
        "source": forecaster.source,
        "parameters": forecaster.parameters,
        "samples": forecaster.samples,
        "seed": forecaster.seed,
        "scaling": forecaster.scaling,
    }


def _load_forecaster(config: DaemonConfig) -> Any:
    # Imported here: torch takes seconds to import, and only the daemon needs it.
    from .model import Forecaster, resolve_device, resolve_model_path

    path, source = resolve_model_path(config.model)
    device = resolve_device(config.device)
    log.info("loading model %s (%s) on %s", path, source, device)
    return Forecaster(
        path,
        source=source,
        device=device,
        samples=config.samples,
        seed=config.seed,
        batch_rows=config.batch_rows,
    )


async def build_services(config: DaemonConfig) -> Services:
    forecaster = await asyncio.to_thread(_load_forecaster, config)
    device = forecaster.device
    # Opening scans the cache directory: keep it off the event loop.
    cache = await asyncio.to_thread(
        CacheStore,
        config.state_dir / "cache",
        memory_bytes=config.cache_mb * MIB,
        disk_bytes=config.disk_cache_mb * MIB,
    )
    renderer = RenderPool(config.render_workers)
    renderer.start()  # spawn the workers now: the first plot should not wait ~2 s
    queues = LaneQueues(config.queue_size)
    registry = Registry(config.duplicates, on_abandon=queues.drop)
    engine = Engine(
        registry,
        queues,
        forecaster,
        cpu_workers=config.cpu_workers,
        render_workers=renderer.workers or 1,
        background=BackgroundBudget(
            config.background_jobs, config.background_jobs_per_uid, registry.drop_background
        ),
    )
    results = ResultStore(cache)
    tag = f"{forecaster.model_id}|samples={forecaster.samples}|seed={forecaster.seed}"
    uploads = UploadResolver(results, engine, tag, max_upload=config.max_upload_mb * MIB)
    bounds = ConnectionBounds.from_config(config)
    connections: set[Connection] = set()  # the daemon adds and removes them
    forecasts = ForecastOps(
        results,
        engine,
        uploads,
        render=renderer.submit,
        model_id=forecaster.model_id,
        precompute_windows=config.precompute_windows(device),
    )
    admin = AdminOps(
        registry,
        results,
        uploads,
        model_info=functools.partial(model_info, forecaster),
        device=device,
        engine_info=functools.partial(_engine_info, engine),
        connections=connections.__len__,
        flow=bounds.info,
    )
    ops = Ops(engine, uploads, forecasts, admin)
    return Services(
        config,
        forecaster,
        device,
        registry,
        engine,
        cache,
        results,
        renderer,
        admin,
        ops,
        connections,
        bounds,
    )


def _engine_info(engine: Engine) -> dict[str, Any]:
    return {
        "queues": engine.queues.lengths(),
        "background_jobs": engine.background_jobs(),
        "background": engine.background.snapshot(),
        "model_batches": engine.model_batches,
    }
