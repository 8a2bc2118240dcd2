"""Personal adaptation in the ops: the per-upload state is a job of the lifecycle.

Layer: ops. The state of one prepared series for one method
(`glurpc_core.model.adaptation`: the personal forecast and error scale at every
grid point) is a cpu-lane job keyed by what it computes: the handle (the
prepared content's digest and the model id), the method and the digest of its
parameters file. Identical requests
therefore share one job; when the last one leaves, a queued job is dropped and
a running one is not stored; a finished one is cached (memory, then disk) under
the same key, so a restart does not recompute it. Applying the state to a
window is a few array operations, done here.
"""

from __future__ import annotations

import functools
from typing import Any

from glurpc_core.errors import OpError
from glurpc_core.forecast import WindowForecast
from glurpc_core.model.adaptation import (
    NONE,
    AdaptationState,
    Adapter,
    adapt_method,
    served,
)
from glurpc_core.series import CgmSeries
from glurpcd.cache import CacheKey
from glurpcd.engine.lanes import Engine, Lane
from glurpcd.engine.payloads import Calculation
from glurpcd.lifecycle import JobSpec, Request
from glurpcd.ops.data import Resolved
from glurpcd.ops.results import ResultStore


def adaptation_spec(handle: str, method: str, parameters: str) -> JobSpec:
    return JobSpec(f"adapt:{handle}:{method}:{parameters}", "adapt", handle)


def adaptation_key(handle: str, method: str, parameters: str) -> CacheKey:
    """`parameters`: the digest of the adaptation's parameters file, so a daemon
    with other parameters never serves a state fitted with these."""
    return CacheKey("adapt", handle, f"{method}.{parameters}")


class Adaptation:
    def __init__(self, results: ResultStore, engine: Engine, adapter: Adapter | None) -> None:
        self.results = results
        self.engine = engine
        # None when the daemon serves without adaptation (then `none` is the only choice).
        self.adapter = adapter

    def method(self, args: dict[str, Any]) -> str:
        """The versioned method a request asks for: `adapt`, else personal-ar for
        the default model and none for a model the request names (adapt_method).
        Several models under the personal adaptation are refused: they would
        all serve one forecast, and the comparison would compare nothing."""
        name = args.get("adapt")
        if name is not None and not isinstance(name, str):
            raise OpError.bad_request("'adapt' must be a string")
        models = args.get("model")
        try:
            method = adapt_method(name, model_named=models is not None)
        except ValueError as error:
            raise OpError.bad_request(str(error)) from None
        if method != NONE and isinstance(models, list) and len(models) > 1:
            raise OpError.bad_request(
                "the personal adaptation serves the same forecast whatever the model: "
                "compare models without 'adapt' (or with 'none')"
            )
        return method if self.adapter is not None else NONE

    async def state(
        self, request: Request, resolved: Resolved, method: str
    ) -> AdaptationState | None:
        """The cached state, or the result of the (shared) job computing it."""
        if method == NONE or self.adapter is None:
            return None
        key = adaptation_key(resolved.handle, method, self.adapter.digest)
        cached = await self.results.lookup(key)
        if cached is not None:
            return AdaptationState.from_bytes(cached)
        # Same loop step as the miss: a result landing in between is never lost.
        return await self.engine.obtain(  # type: ignore[no-any-return]
            request,
            adaptation_spec(resolved.handle, method, self.adapter.digest),
            Lane.CPU,
            Calculation(functools.partial(self.adapter.state, resolved.prepared.series)),
            store=lambda state: self.results.put(key, state.to_bytes()),
        )

    def serve(
        self,
        windows: dict[int, WindowForecast],
        series: CgmSeries,
        state: AdaptationState | None,
    ) -> dict[int, WindowForecast]:
        """The windows as served (adaptation.served)."""
        return served(windows, series, self.adapter, state)
