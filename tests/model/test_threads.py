"""What batching may change, by torch thread count (docs/MODEL.md, Inference).

With one thread a window's bytes never depend on its batch. With more, the
matrix kernels split the work by batch shape, so float rounding may differ
between batchings (measured up to 3e-5 mg/dL); the promise there is a
tolerance, and the same bytes whenever batching and thread count repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from glurpc_core.forecast import WindowForecast
from glurpc_core.model import Forecaster

from .conftest import seeded_series
from .test_forecaster import same

SERIES = seeded_series(140, seed=1)
INDICES = [-2, -1, 0, 12]
BATCHING_TOLERANCE_MG_DL = 1e-3
# Four samples a window: 16 rows in all, as one batch of 16 or four of 4. The
# kernels' split depends on the batch shape, not on how many samples fill it.
SAMPLES = 4


def forecast(path: Path, batch_rows: int, indices: list[int]) -> dict[int, WindowForecast]:
    forecaster = Forecaster(path, source="explicit", samples=SAMPLES, batch_rows=batch_rows)
    return forecaster.forecast(SERIES, indices)


def test_published_size_batching_does_not_change_bytes_on_one_thread(
    published_checkpoint: Path, torch_threads: Callable[[int], None]
) -> None:
    torch_threads(1)
    one = forecast(published_checkpoint, 16, INDICES)
    other = forecast(published_checkpoint, 4, INDICES[::-1])
    assert all(same(one[i], other[i]) for i in INDICES)


@pytest.mark.parametrize("threads", [2, 4])
def test_published_size_batching_stays_within_tolerance_on_more_threads(
    published_checkpoint: Path, torch_threads: Callable[[int], None], threads: int
) -> None:
    torch_threads(threads)
    one = forecast(published_checkpoint, 16, INDICES)
    other = forecast(published_checkpoint, 4, INDICES[::-1])
    for index in INDICES:
        a, b = one[index], other[index]
        for name in ("sample_means", "median", "quantiles"):
            difference = np.abs(getattr(a, name) - getattr(b, name)).max()
            assert difference <= BATCHING_TOLERANCE_MG_DL, (name, difference)
        np.testing.assert_allclose(a.sample_stds, b.sample_stds, rtol=1e-5)
    # The same batching again, on the same thread count: the same bytes.
    again = forecast(published_checkpoint, 4, INDICES[::-1])
    assert all(same(other[i], again[i]) for i in INDICES)
