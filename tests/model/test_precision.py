"""`--precision bf16`: bfloat16 autocast moves forecasts a little, never their shape
or order; float32 stays the exact default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glurpc_core.model import Forecaster
from glurpcd.settings.config import parse_args

from .conftest import seeded_series

SERIES = seeded_series(140, seed=1)
INDICES = [-10, 0, 12]


def test_bf16_forecasts_stay_close_to_float32(small_bundle: Path) -> None:
    exact = Forecaster(small_bundle, source="explicit").forecast(SERIES, INDICES)
    rounded = Forecaster(small_bundle, source="explicit", precision="bf16").forecast(
        SERIES, INDICES
    )
    for index in INDICES:
        a, b = exact[index], rounded[index]
        assert b.median.dtype == np.float32 and b.quantiles.shape == a.quantiles.shape
        assert (np.diff(b.quantiles, axis=0) >= 0).all()
        # bf16 keeps 8 bits of mantissa: a few mg/dL at most for glucose of ~100-300
        assert np.abs(a.median - b.median).max() < 10.0
    # bf16 did run: the samples moved (a random model's medians may all sit at
    # the sensor limits, where both are clipped alike).
    assert any(not np.array_equal(exact[i].sample_means, rounded[i].sample_means) for i in INDICES)


def test_unknown_precision_is_refused(small_bundle: Path) -> None:
    with pytest.raises(ValueError, match="precision"):
        Forecaster(small_bundle, source="explicit", precision="float16")


def test_daemon_flag_defaults_to_float32() -> None:
    assert parse_args(["--socket", "/tmp/x.sock"])[0].precision == "float32"
    assert parse_args(["--socket", "/tmp/x.sock", "--precision", "bf16"])[0].precision == "bf16"
