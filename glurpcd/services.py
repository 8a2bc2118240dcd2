"""Builds and tears down everything the daemon serves with, in one place.

Layer: composition root. No singletons: the model, the caches, the lifecycle
registry, the engine and the ops are created here and passed down; tests can
build their own the same way.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import platform
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glurpc_core.errors import ErrorCode, OpError
from glurpc_wire.paths import default_models_dir
from glurpcd.cache import CacheStore
from glurpcd.engine.background import BackgroundBudget
from glurpcd.engine.jobqueue import LaneQueues
from glurpcd.engine.lanes import Engine
from glurpcd.engine.render_pool import RenderPool
from glurpcd.lifecycle import Registry
from glurpcd.models import Catalog, ModelFile, Models
from glurpcd.ops import AdminOps, EvaluationOps, ForecastOps, Ops, ResultStore, UploadResolver
from glurpcd.ops.models import ModelOps
from glurpcd.server import systemd
from glurpcd.server.admission import ConnectionBounds
from glurpcd.server.connection import Connection
from glurpcd.settings.config import CurrentConfig, DaemonConfig

log = logging.getLogger("glurpcd")

MIB = 1024 * 1024


@dataclass
class Services:
    current: CurrentConfig
    forecaster: Any
    device: str
    registry: Registry
    engine: Engine
    cache: CacheStore
    results: ResultStore
    renderer: RenderPool
    forecasts: ForecastOps
    admin: AdminOps
    ops: Ops
    connections: set[Connection]  # the daemon's open connections, counted in `status`
    bounds: ConnectionBounds  # their number, buffers and flow rules
    models: Models  # the store and the resident set (the default among them)

    @property
    def config(self) -> DaemonConfig:
        return self.current.value

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
        "calibration": forecaster.calibration_name,
        "precision": forecaster.precision,
    }


def torch_info(device: str) -> dict[str, Any]:
    """Which torch build serves, and on what: logged at start and in `status`."""
    import torch

    if torch.version.cuda:
        build = f"cuda {torch.version.cuda}"
    elif getattr(torch.version, "hip", None):
        build = f"rocm {torch.version.hip}"
    else:
        build = "cpu"
    if device.startswith("cuda"):
        name = torch.cuda.get_device_name(torch.device(device))
    else:
        name = platform.processor() or platform.machine()
    return {
        "version": torch.__version__,
        "build": build,
        "device": device,
        "device_name": name,
        "threads": torch.get_num_threads(),
    }


def _load_forecaster(config: DaemonConfig, path: Path, source: str, device: str) -> Any:
    # Imported here: torch takes seconds to import, and only the daemon needs it.
    from glurpc_core.model import Forecaster

    log.info("loading model %s (%s) on %s", path, source, device)
    return Forecaster(
        path,
        source=source,
        device=device,
        samples=config.samples,
        seed=config.seed,
        batch_rows=config.batch_rows,
        precision=config.precision,
    )


def _open_default(config: DaemonConfig) -> tuple[Any, Catalog]:
    """The default model, loaded, and the store's catalogue around it."""
    from glurpc_core.model import resolve_device, resolve_model_path

    path, source = resolve_model_path(config.model)
    device = resolve_device(config.device)
    forecaster = _load_forecaster(config, path, source, device)
    # The catalogue logs a models directory that fails the trust rules.
    directory = config.models_dir or default_models_dir()
    return forecaster, Catalog(path, source, directory, default_digest=forecaster.sha256)


def store_loader(config: DaemonConfig, device: str) -> Callable[[ModelFile], Any]:
    """Loads a model of the store exactly as the default was loaded."""

    def load(file: ModelFile) -> Any:
        forecaster = _load_forecaster(config, file.path, file.source, device)
        if forecaster.model_id != file.model_id:
            # Residency and the budget go by the scanned id; serving other
            # bytes under it would mislabel every forecast.
            raise OpError(
                ErrorCode.MODEL_INVALID,
                f"model {file.name!r} changed on disk since the store was scanned "
                f"(now {forecaster.model_id}); SIGHUP rescans the store",
                {"model": file.name, "scanned": file.model_id, "found": forecaster.model_id},
            )
        return forecaster

    return load


async def build_services(config: DaemonConfig) -> Services:
    forecaster, catalog = await asyncio.to_thread(_open_default, config)
    device = forecaster.device
    # Opening scans the cache directory: keep it off the event loop.
    cache = await asyncio.to_thread(_open_cache, config)
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
    load = store_loader(config, device)
    models = Models(
        catalog, forecaster, load=load, engine=engine, budget_bytes=config.models_mb * MIB
    )
    results = ResultStore(cache)
    uploads = UploadResolver(results, engine, forecaster.tag, max_upload=config.max_upload_mb * MIB)
    bounds = ConnectionBounds.from_config(config)
    connections: set[Connection] = set()  # the daemon adds and removes them
    current = CurrentConfig(config)
    forecasts = ForecastOps(
        results,
        engine,
        uploads,
        models,
        render=renderer.submit,
        render_overlay=renderer.submit_overlay,
        precompute_windows=config.precompute_windows(device),
        max_reply=config.max_frame,
        adapter=_load_adapter(),
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
        runtime=torch_info(device),
        settings=current.runtime,
        systemd=systemd.under_systemd(),
        models_info=models.snapshot,
    )
    evaluations = EvaluationOps(
        results,
        engine,
        uploads,
        forecasts,
        render=renderer.submit_evaluation,
        render_comparison=renderer.submit_comparison,
    )
    model_ops = ModelOps(models, uploads.owners, validate=_validator(config, device))
    ops = Ops(engine, uploads, forecasts, admin, evaluations, model_ops)
    return Services(
        current,
        forecaster,
        device,
        registry,
        engine,
        cache,
        results,
        renderer,
        forecasts,
        admin,
        ops,
        connections,
        bounds,
        models,
    )


def _validator(config: DaemonConfig, device: str) -> Callable[[Path], None]:
    """`models add`'s check: the serving loader on the copied file, then dropped
    (the copy has no scanned id yet: the rescan after linking it gives one)."""

    def validate(path: Path) -> None:
        _load_forecaster(config, path, "store", device)

    return validate


def _load_adapter() -> Any:
    # The personal forecaster's shipped population parameters (a small JSON file).
    from glurpc_core.model.adaptation import Adapter

    return Adapter.load()


def _open_cache(config: DaemonConfig) -> CacheStore:
    return CacheStore(
        config.state_dir / "cache",
        memory_bytes=config.cache_mb * MIB,
        disk_bytes=config.disk_cache_mb * MIB,
    )


def _engine_info(engine: Engine) -> dict[str, Any]:
    return {
        "queues": engine.queues.lengths(),
        "background_jobs": engine.background_jobs(),
        "background": engine.background.snapshot(),
        "model_batches": engine.model_batches,
    }
