"""Calibration fitted by glurpc_train/calibrate.py and applied by glurpcd's
Calibration: on a seeded synthetic set whose truth is spread differently from the
model's mixture, coverage of the 50 % and 90 % bands moves to nominal."""

from __future__ import annotations

import numpy as np
import pytest

from glurpc_core.forecast import QUANTILE_LEVELS
from glurpc_core.model.calibration import Calibration
from glurpc_core.model.mixture import mixture_quantiles
from glurpc_train.calibrate import fit_calibration

# Per step, how much wider the truth is than the model says: too wide early, too
# narrow late, as the shipped model was before calibration.
TRUTH_SCALE = np.array([0.4, 1.0, 2.5])


def synthetic(seed: int, windows: int = 2000, samples: int = 10) -> tuple[np.ndarray, ...]:
    """(centre [W, T], means [W, T, S], stds [W, S], truth [W, T])."""
    rng = np.random.default_rng(seed)
    steps = len(TRUTH_SCALE)
    level = rng.uniform(70, 250, size=(windows, 1))
    means = level[..., None] + rng.normal(0, 6, size=(windows, steps, samples))
    stds = rng.uniform(8, 12, size=(windows, samples))
    centre = mixture_quantiles(means, stds, (0.5,))[:, 0]
    spread = np.sqrt(36 + 100)  # the mixture's own std, near enough
    truth = centre + rng.normal(0, 1, size=(windows, steps)) * spread * TRUTH_SCALE
    return centre, means, stds, truth


def coverage(quantiles: np.ndarray, truth: np.ndarray) -> dict[float, np.ndarray]:
    out = {}
    for nominal, (low, high) in {0.9: (0.05, 0.95), 0.5: (0.25, 0.75)}.items():
        lower = quantiles[:, QUANTILE_LEVELS.index(low)]
        upper = quantiles[:, QUANTILE_LEVELS.index(high)]
        out[nominal] = ((truth >= lower) & (truth <= upper)).mean(axis=0)
    return out


def test_fitted_calibration_brings_fresh_windows_to_nominal_coverage() -> None:
    calibration = fit_calibration(*synthetic(seed=1, windows=800), fitted_on="synthetic")
    centre, means, stds, truth = synthetic(seed=2)  # windows not used for the fit
    before = coverage(mixture_quantiles(means, stds, QUANTILE_LEVELS), truth)
    moved, widened = calibration.apply(centre, means, stds)
    after = coverage(mixture_quantiles(moved, widened, QUANTILE_LEVELS), truth)
    for nominal in (0.9, 0.5):
        assert np.abs(before[nominal] - nominal).max() > 0.2  # badly off to begin with
        # within sampling noise: 800 windows fitted (std of a share near 0.5: 0.018),
        # 2,000 fresh ones measured (0.011)
        np.testing.assert_allclose(after[nominal], nominal, atol=0.06)
        assert np.abs(after[nominal] - nominal).max() < np.abs(before[nominal] - nominal).max()
    assert calibration.width[0] < 1 < calibration.width[2]  # narrowed early, widened late


def test_a_calibrated_step_is_left_alone() -> None:
    centre, means, stds, _ = synthetic(seed=3, windows=800)
    rng = np.random.default_rng(4)
    # truth drawn from the mixture itself: already calibrated at every step
    pick = rng.integers(0, means.shape[2], size=centre.shape)
    chosen = np.take_along_axis(means, pick[..., None], axis=2)[..., 0]
    spread = np.take_along_axis(stds, pick, axis=1)
    truth = chosen + rng.normal(size=centre.shape) * spread
    calibration = fit_calibration(centre, means, stds, truth, fitted_on="synthetic")
    np.testing.assert_allclose(calibration.width, 1.0, atol=0.25)


CALIBRATION = Calibration(np.array([1.0, 2.0]), np.array([0.5, 1.5]), "somewhere")


def test_round_trip_through_the_bundle() -> None:
    back = Calibration.from_bundle(CALIBRATION.to_bundle(), steps=2)
    np.testing.assert_array_equal(back.spread, CALIBRATION.spread)
    np.testing.assert_array_equal(back.width, CALIBRATION.width)
    assert back.fitted_on == "somewhere"


@pytest.mark.parametrize(
    "broken", [{"spread": [1.0]}, {"width": [1.0, -1.0]}, {"width": [1.0, np.nan]}, {"method": "x"}]
)
def test_bad_calibrations_are_refused(broken: dict) -> None:
    with pytest.raises(ValueError):
        Calibration.from_bundle({**CALIBRATION.to_bundle(), **broken}, steps=2)
