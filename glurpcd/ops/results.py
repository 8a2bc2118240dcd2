"""The ops' typed view of the cache: keys, encodings, and the lookup that
makes "cached, or attach to the job computing it" safe.

Layer: between ops and the cache (it never sees the engine). Memory is written on the event loop
the moment a result lands (before its waiters wake); disk writes follow on one
background thread, so a slow disk never stalls the loop. Encodings are safe
formats only (npz without pickle, raw image bytes, UTF-8 text).
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from glurpc_core.forecast import WindowForecast
from glurpcd.cache import CacheKey, CacheStore


def forecast_key(handle: str, index: int) -> CacheKey:
    return CacheKey("forecast", handle, str(index))


def image_key(handle: str, index: int, fmt: str) -> CacheKey:
    return CacheKey("image", handle, f"{index}.{fmt}")


def series_key(handle: str) -> CacheKey:
    return CacheKey("series", handle, "prepared")


def model_key(handle: str) -> CacheKey:
    """Which model a handle made by `UploadResolver.for_model` belongs to."""
    return CacheKey("series", handle, "model")


def upload_key(digest: str) -> CacheKey:
    return CacheKey("upload", digest, "handle")


def encode_forecast(forecast: WindowForecast) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **forecast.to_arrays())  # type: ignore[arg-type]  # numpy's stub
    return buffer.getvalue()


def decode_forecast(data: bytes) -> WindowForecast:
    with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
        return WindowForecast.from_arrays({name: arrays[name] for name in arrays.files})


class ResultStore:
    def __init__(self, cache: CacheStore) -> None:
        self.cache = cache
        self._disk = ThreadPoolExecutor(1, thread_name_prefix="glurpcd-persist")

    async def get(self, key: CacheKey) -> bytes | None:
        return await asyncio.to_thread(self.cache.get, key)

    def put(self, key: CacheKey, data: bytes) -> None:
        """Memory now (on the loop), disk soon (background thread)."""
        self.cache.put(key, data, persist=False)
        self._disk.submit(self._persist, key, data)

    def _persist(self, key: CacheKey, data: bytes) -> None:
        self.cache.put(key, data, persist=True)

    async def lookup(self, key: CacheKey) -> bytes | None:
        """The cached value, or None when it is not cached: then the caller
        attaches to the job computing it before its next await.

        The disk lookup awaits a thread, so a result may land meanwhile; the
        synchronous `contains` re-check, the return and the caller's attach then
        run in one loop step, which closes the window for a lost wake-up or a
        second compute.
        """
        while True:
            data = await self.get(key)
            if data is not None:
                return data
            if not self.cache.contains(key):
                return None

    def wait_persisted(self) -> None:
        """Block until every write queued so far is on disk (FIFO executor),
        so a flush or delete cannot be undone by a write still in flight."""
        self._disk.submit(lambda: None).result()

    def close(self) -> None:
        self._disk.shutdown(wait=True)
