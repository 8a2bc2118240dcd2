"""Shared inputs for the model tests: seeded series and small checkpoints."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from glurpc_core.model.network import GluformerConfig
from glurpc_core.series import CgmSeries
from tests.support.checkpoints import save_random_bundle, save_random_checkpoint

SMALL = GluformerConfig(d_model=16, n_heads=2, d_fcn=32, num_enc_layers=2, num_dec_layers=1)


def seeded_series(points: int, seed: int = 0) -> CgmSeries:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2024-03-04T06:02:00")
    times = start + np.arange(points) * np.timedelta64(300, "s")
    walk = 130 + np.cumsum(rng.normal(0, 3, points)) + 30 * np.sin(np.arange(points) / 25)
    return CgmSeries(times, np.clip(walk, 40, 400).astype(np.float32))


@pytest.fixture(scope="session")
def published_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("published")
    return save_random_checkpoint(folder / "random_published_weights.pth", seed=3)


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    return save_random_bundle(folder / "small_bundle.pt", seed=5, config=SMALL)


@pytest.fixture(scope="session")
def small_bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bare")
    return save_random_checkpoint(folder / "small_2heads_weights.pth", seed=6, config=SMALL)


@pytest.fixture
def torch_threads() -> Iterator[Callable[[int], None]]:
    """Set torch's intra-op thread count for one test; restored afterwards."""
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)
