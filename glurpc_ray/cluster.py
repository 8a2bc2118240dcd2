"""Joining a Ray cluster and sizing the model actors from its resources.

Layer: cohort engine, driver side. Without an address `ray.init()` starts a
local cluster on this machine; with one, the driver joins that cluster. The
model actors are one per GPU when the cluster has GPUs (and the device allows
them), else CPU actors holding one CPU each, leaving CPUs for the reading and
rendering tasks.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from .options import ModelSettings

TASK_CPUS = 0.5  # a read/prepare or render task: light next to a model actor
ACTOR_CPUS = 1.0
# Ray Data closes an output block once it holds this much; small blocks let a
# chunk's forecasts (~4 KB per window) reach the renderers, and their records
# the progress bar, a chunk at a time instead of a file at a time.
BLOCK_BYTES = 32 * 1024
PASSES_PER_CHUNK = 8  # forward passes per actor call: progress moves, overhead amortised


class ClusterError(Exception):
    """The cluster cannot run the job as asked; the message says why."""


@dataclass(frozen=True)
class ActorPlan:
    count: int
    gpus_each: float
    chunk: int  # windows per chunk row: one actor call

    @property
    def on_gpu(self) -> bool:
        return self.gpus_each > 0

    def describe(self) -> str:
        kind = "GPU" if self.on_gpu else "CPU"
        return f"{self.count} {kind} model actor{'s' if self.count != 1 else ''}"


def connect(address: str | None, ordered: bool, quiet: bool = False) -> Any:
    """`ray.init` for this run: quiet (our own progress bar, no Ray Data bars);
    with `-q` Ray's own Python warnings (token authentication) go too.

    `ordered`: results come out in the inputs' order (forecast lines must, as
    the local path prints them); images need not, and a file's slow block then
    holds back no other file's windows."""
    import ray

    ray.init(
        address=address,
        logging_level=logging.ERROR if quiet else logging.WARNING,
        log_to_driver=False,
        include_dashboard=False,
    )
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.target_max_block_size = BLOCK_BYTES
    context.print_on_execution_start = False
    context.execution_options.preserve_order = ordered
    context.execution_options.verbose_progress = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray


def plan_actors(
    resources: dict[str, float], settings: ModelSettings, requested: int | None
) -> ActorPlan:
    cpus = float(resources.get("CPU", 0.0))
    gpus = int(resources.get("GPU", 0.0))
    use_gpus = gpus > 0 and settings.device != "cpu"
    if use_gpus:
        count = requested or gpus
        if count > gpus:
            raise ClusterError(f"--actors {count} GPU actors, but the cluster has {gpus} GPUs")
    else:
        count = requested or max(1, int(cpus // 2))
    spare = cpus - count * ACTOR_CPUS
    if spare < TASK_CPUS:
        most = max(0, math.floor((cpus - TASK_CPUS) / ACTOR_CPUS))
        raise ClusterError(
            f"the cluster has {cpus:g} CPUs: {count} model actors leave none for reading "
            f"and rendering (at most {most})"
        )
    from glurpc_core.model.forecaster import CPU_ROWS, CUDA_ROWS  # the daemon's batch sizes

    rows = CUDA_ROWS if use_gpus else CPU_ROWS
    windows_per_pass = max(1, rows // settings.samples)
    return ActorPlan(count, 1.0 if use_gpus else 0.0, windows_per_pass * PASSES_PER_CHUNK)
