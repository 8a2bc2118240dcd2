"""A model store of seeded random bundles, and a loader the test gates.

The loader is the daemon's real one (`Forecaster` on the file); the gate only
decides when it may start, so a test can hold a load in flight and watch
requests share it or leave it."""

from __future__ import annotations

import asyncio
import queue
import threading
from pathlib import Path
from typing import Any

from glurpc_core.model import Forecaster
from glurpc_core.model.network import GluformerConfig
from glurpc_core.model.resolve import SHIPPED_DEFAULT
from glurpcd.models import Catalog, ModelFile
from tests.support.checkpoints import save_random_bundle

WAIT_S = 30.0
TINY = GluformerConfig(d_model=16, n_heads=2, d_fcn=32, num_enc_layers=2, num_dec_layers=1)
# About 4.5 times TINY's file: two do not fit where one does.
LARGER = GluformerConfig(d_model=48, n_heads=2, d_fcn=96, num_enc_layers=2, num_dec_layers=1)
# Over half a MiB: never fits in a 1 MiB budget beside the shipped default.
OVERSIZE = GluformerConfig(d_model=80, n_heads=2, d_fcn=160, num_enc_layers=2, num_dec_layers=1)


def make_store(directory: Path, names: dict[str, int], config: GluformerConfig = TINY) -> Path:
    """`directory` (0700) with NAME.pt for each name, seeded by its number."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, seed in names.items():
        save_random_bundle(directory / f"{name}.pt", seed=seed, config=config)
    return directory


def shipped_catalog(directory: Path | None) -> Catalog:
    return Catalog(SHIPPED_DEFAULT, "shipped-default", directory)


class GatedLoader:
    """Loads a model file for real once the test opens the gate."""

    def __init__(self) -> None:
        self.entered: queue.Queue[str] = queue.Queue()
        self.gate = threading.Event()
        self.loaded: list[str] = []

    def __call__(self, file: ModelFile) -> Any:
        self.entered.put(file.name)
        if not self.gate.wait(WAIT_S):
            raise TimeoutError("the test never opened the gate")
        forecaster = Forecaster(file.path, source=file.source, samples=2)
        self.loaded.append(file.name)
        return forecaster

    async def next_load(self) -> str:
        """Wait until a load has begun in its worker thread."""
        return await asyncio.to_thread(self.entered.get, True, WAIT_S)
