"""Models in memory: which are resident, loading them as lifecycle work, and
the memory budget that evicts the least recently used idle ones.

Layer: between the ops and the engine (runs on the event loop, never blocks;
loading runs as a cpu-lane job). Rules:
- the default model is loaded at start and never evicted (background
  precompute uses it); it counts against the budget like any other;
- a request that needs a model that is not resident attaches to the one
  `load_model` job for that model id, so requests that need it share one load,
  and the job is abandoned when the last of them leaves (dropped while
  queued; a load already reading its file finishes and is thrown away);
- a model is busy while a request holds it (`use`), from the moment its load
  lands until the request ends; only idle models are evicted, least recently
  used first, and only to make room for a load;
- a model larger than the budget less the default is refused with
  `model_too_large` (its size and the budget in `details`); one that would
  fit but for busy models gets `overloaded` (`reason` "models_busy").
A model's size is its file's size: float32 weights take about as much memory
as they take on disk.
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from glurpc_core.errors import ErrorCode, OpError
from glurpcd.engine.lanes import Engine, Lane
from glurpcd.lifecycle import JobSpec, Request
from glurpcd.models.catalog import Catalog, ModelFile

BUSY_RETRY_S = 1.0  # a busy model is held for one request's forecasts: seconds


@dataclass(eq=False)
class Resident:
    file: ModelFile
    forecaster: Any
    pinned: bool = False
    holders: set[int] = field(default_factory=set)  # request ids using it now
    last_used: float = 0.0


class Models:
    def __init__(
        self,
        catalog: Catalog,
        default: Any,
        *,
        load: Callable[[ModelFile], Any],
        engine: Engine,
        budget_bytes: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.catalog = catalog
        self.engine = engine
        self.budget_bytes = budget_bytes
        self._load_file = load
        self._clock = clock
        self.default = Resident(catalog.default, default, pinned=True, last_used=clock())
        # Oldest use first: eviction takes from the front.
        self._resident: OrderedDict[str, Resident] = OrderedDict(
            {catalog.default.model_id: self.default}
        )
        # model id -> (file, request ids waiting for its load job)
        self._loading: dict[str, tuple[ModelFile, set[int]]] = {}
        self.loads = 0
        self.evictions = 0

    # -- choosing ---------------------------------------------------------

    def choose(self, name: object) -> ModelFile:
        """The model a request names (a name or an id); the default for None."""
        if name is None:
            return self.default.file
        if not isinstance(name, str) or not name:
            raise OpError.bad_request("'model' must be a model name (see 'glurpc models')")
        found = self.catalog.get(name) or self.catalog.by_id(name)
        if found is None:
            raise OpError(
                ErrorCode.MODEL_NOT_FOUND,
                f"no model named {name!r}; 'glurpc models' lists them",
                {"model": name, "known": [m.name for m in self.catalog.entries()]},
            )
        return found

    def is_default(self, file: ModelFile) -> bool:
        return file.model_id == self.default.file.model_id

    # -- using ------------------------------------------------------------

    @asynccontextmanager
    async def use(self, request: Request, file: ModelFile) -> AsyncIterator[Any]:
        """The forecaster of `file`, held (never evicted) until the block ends."""
        try:
            resident = self._resident.get(file.model_id)
            if resident is None:
                resident = await self._load(request, file)
            resident.holders.add(request.request_id)
            self._resident.move_to_end(file.model_id)
            yield resident.forecaster
        finally:
            # Also when it left while its load landed (`_landed` made it a holder).
            held = self._resident.get(file.model_id)
            if held is not None:
                held.holders.discard(request.request_id)
                held.last_used = self._clock()

    async def _load(self, request: Request, file: ModelFile) -> Resident:
        waiting = self._loading.get(file.model_id)
        if waiting is None:
            self._make_room(file)
            waiting = self._loading[file.model_id] = (file, set())
        waiting[1].add(request.request_id)
        spec = JobSpec(
            f"load:{file.model_id}", "load_model", file.model_id, model=file.model_id, shared=True
        )
        try:
            await self.engine.obtain(
                request,
                spec,
                Lane.CPU,
                functools.partial(self._load_file, file),
                store=functools.partial(self._landed, file),
            )
        finally:
            waiting[1].discard(request.request_id)
            if not waiting[1] and self._loading.get(file.model_id) is waiting:
                del self._loading[file.model_id]  # the last one left: no room held
        return self._resident[file.model_id]

    def _landed(self, file: ModelFile, forecaster: Any) -> None:
        """A load finished (on the loop, before its waiters wake): resident
        now, and held by every request that waited for it, so nothing can
        evict it before they run."""
        _, waiting = self._loading.pop(file.model_id, (file, set()))
        self._resident[file.model_id] = Resident(
            file, forecaster, holders=set(waiting), last_used=self._clock()
        )
        self.loads += 1

    # -- the budget -------------------------------------------------------

    def committed_bytes(self) -> int:
        resident = sum(r.file.size for r in self._resident.values())
        return resident + sum(file.size for file, _ in self._loading.values())

    def _make_room(self, file: ModelFile) -> None:
        room = self.budget_bytes - self.default.file.size
        if file.size > room:
            raise OpError(
                ErrorCode.MODEL_TOO_LARGE,
                f"model {file.name!r} needs {_mib(file.size)}; the budget is "
                f"{_mib(self.budget_bytes)} and the default model holds "
                f"{_mib(self.default.file.size)} of it (glurpcd --models-mb)",
                {
                    "model": file.name,
                    "bytes": file.size,
                    "budget_bytes": self.budget_bytes,
                    "default_bytes": self.default.file.size,
                },
            )
        self.trim(need=file.size)
        if self.committed_bytes() + file.size > self.budget_bytes:
            raise OpError(
                ErrorCode.OVERLOADED,
                f"model {file.name!r} does not fit beside the models serving requests now",
                {"reason": "models_busy", "retry_after": BUSY_RETRY_S, "model": file.name},
            )

    def trim(self, need: int = 0) -> int:
        """Evict idle models, least recently used first, until `need` more
        bytes fit in the budget; how many were evicted."""
        evicted = 0
        for model_id, resident in list(self._resident.items()):
            if self.committed_bytes() + need <= self.budget_bytes:
                break
            if resident.pinned or resident.holders:
                continue
            del self._resident[model_id]
            evicted += 1
        self.evictions += evicted
        return evicted

    def set_budget(self, budget_bytes: int) -> int:
        self.budget_bytes = budget_bytes
        return self.trim()

    # -- observation ------------------------------------------------------

    def is_resident(self, model_id: str) -> bool:
        return model_id in self._resident

    def snapshot(self) -> dict[str, Any]:
        """The `models` part of `status`."""
        now = self._clock()
        return {
            "known": len(self.catalog.entries()),
            "budget_bytes": self.budget_bytes,
            "resident_bytes": sum(r.file.size for r in self._resident.values()),
            "resident": [
                {
                    "name": r.file.name,
                    "id": model_id,
                    "bytes": r.file.size,
                    "requests": len(r.holders),
                    "idle_s": None if r.holders else round(now - r.last_used, 3),
                    "default": r.pinned,
                }
                for model_id, r in self._resident.items()
            ],
            "loading": [
                {"name": f.name, "id": model_id, "bytes": f.size, "requests": len(waiting)}
                for model_id, (f, waiting) in self._loading.items()
            ],
            "loads": self.loads,
            "evictions": self.evictions,
        }


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"
