"""The reference's lost wake-up: a result lands between "check the cache" and
"start waiting". Here the cache lookup of a late request is held open (its
miss already decided) while the job finishes; it must then find the result,
not start a second computation."""

from __future__ import annotations

import asyncio

from glurpcd.cache import CacheKey, CacheStore
from glurpcd.engine.lanes import Lane
from glurpcd.engine.payloads import ForecastPayload
from glurpcd.ops.forecasts import cached_or_computed
from glurpcd.ops.results import ResultStore

from .gates import GatedModel, forecast_spec, make_engine


def test_result_landing_during_lookup_is_found_without_recompute():
    async def scenario():
        model = GatedModel()
        registry, engine = make_engine(model)
        engine.start()
        results = ResultStore(CacheStore(None, memory_bytes=1 << 20, disk_bytes=0))
        key = CacheKey("forecast", "h1", "0")
        spec = forecast_spec(0)

        lookups = 0
        miss_decided = asyncio.Event()
        result_landed = asyncio.Event()
        real_get = results.get

        async def held_get(k):
            nonlocal lookups
            lookups += 1
            data = await real_get(k)
            if lookups == 2:  # the late request's first lookup: a miss...
                miss_decided.set()
                await result_landed.wait()  # ...returned only after the result landed
            return data

        results.get = held_get

        def call():
            request = registry.open_request("forecast", "test")
            request.task = asyncio.create_task(
                cached_or_computed(
                    results,
                    engine,
                    request,
                    spec,
                    key=key,
                    lane=Lane.MODEL,
                    payload=ForecastPayload(None, 0),
                    encode=str.encode,
                    decode=bytes.decode,
                )
            )
            return request

        first = call()
        await model.next_batch()
        late = call()
        await miss_decided.wait()
        model.release()
        assert await first.task == "forecast-0"
        result_landed.set()
        assert await late.task == "forecast-0"
        assert model.calls == [(0,)]  # one computation
        results.close()
        await engine.stop()

    asyncio.run(asyncio.wait_for(scenario(), 30))
