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


def two_batchings(path: Path) -> tuple[dict[int, WindowForecast], dict[int, WindowForecast]]:
    together = Forecaster(path, source="explicit", batch_rows=40)
    apart = Forecaster(path, source="explicit", batch_rows=10)
    return together.forecast(SERIES, INDICES), apart.forecast(SERIES, INDICES[::-1])


def test_published_size_batching_does_not_change_bytes_on_one_thread(
    published_checkpoint: Path, torch_threads: Callable[[int], None]
) -> None:
    torch_threads(1)
    one, other = two_batchings(published_checkpoint)
    assert all(same(one[i], other[i]) for i in INDICES)


@pytest.mark.parametrize("threads", [2, 4])
def test_published_size_batching_stays_within_tolerance_on_more_threads(
    published_checkpoint: Path, torch_threads: Callable[[int], None], threads: int
) -> None:
    torch_threads(threads)
    one, other = two_batchings(published_checkpoint)
    for index in INDICES:
        a, b = one[index], other[index]
        for name in ("sample_means", "median", "quantiles"):
            difference = np.abs(getattr(a, name) - getattr(b, name)).max()
            assert difference <= BATCHING_TOLERANCE_MG_DL, (name, difference)
        np.testing.assert_allclose(a.sample_stds, b.sample_stds, rtol=1e-5)


@pytest.mark.parametrize("threads", [1, 2, 4])
def test_same_batching_and_thread_count_repeat_the_bytes(
    published_checkpoint: Path, torch_threads: Callable[[int], None], threads: int
) -> None:
    torch_threads(threads)
    first = Forecaster(published_checkpoint, source="explicit", batch_rows=10)
    again = Forecaster(published_checkpoint, source="explicit", batch_rows=10)
    one, other = first.forecast(SERIES, INDICES), again.forecast(SERIES, INDICES)
    assert all(same(one[i], other[i]) for i in INDICES)
