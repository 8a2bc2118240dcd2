"""Evaluation metrics and baselines (glurpc_core/evaluation/metrics.py, baselines.py) on
constructed cases whose answers are known by hand."""

from __future__ import annotations

import numpy as np

from glurpc_core.evaluation.baselines import Autoregressive, linear, persistence
from glurpc_core.evaluation.metrics import (
    by_range,
    coverage_by_step,
    mae,
    mard,
    masked_mean,
    range_masks,
    rmse,
    subject_bootstrap,
)
from glurpc_core.series import CgmSeries


def test_persistence_holds_the_level_and_linear_continues_a_line() -> None:
    ramp = 100.0 + 2.0 * np.arange(96)  # +2 mg/dL per 5 minutes
    history = np.stack([ramp, np.full(96, 150.0)])
    np.testing.assert_allclose(linear(history)[0], ramp[-1] + 2.0 * np.arange(1, 13))
    np.testing.assert_allclose(persistence(history)[0], np.full(12, ramp[-1]))
    np.testing.assert_allclose(linear(history)[1], np.full(12, 150.0))


def test_autoregressive_baseline_recovers_a_known_process() -> None:
    rng = np.random.default_rng(0)
    values = [120.0, 120.0]
    for _ in range(5000):  # y[t+1] = 20 + 1.5 y[t] - 0.6 y[t-1] + noise: mean 200
        values.append(20 + 1.5 * values[-1] - 0.6 * values[-2] + rng.normal(0, 1))
    times = np.datetime64("2024-01-01T00:00:00") + np.arange(len(values)) * np.timedelta64(300, "s")
    fitted = Autoregressive.fit([CgmSeries(times, np.array(values, np.float32))], order=2)
    np.testing.assert_allclose(fitted.coefficients, [1.5, -0.6], atol=0.02)
    ahead = fitted.predict(np.array([[200.0, 200.0]]))  # at its mean it stays there
    np.testing.assert_allclose(ahead, 200.0, atol=1.0)


def constructed() -> tuple[np.ndarray, ...]:
    """Six windows: last readings in every range, known errors at 30 and 60 min."""
    last = np.array([60.0, 100.0, 150.0, 200.0, 260.0, 300.0])
    truth = np.repeat(last[:, None], 12, axis=1)
    prediction = truth.copy()
    prediction[:, 5] += [5.0, 3.0, -3.0, -10.0, -20.0, -40.0]  # 30 minutes
    prediction[:, 11] += [-4.0, 6.0, 6.0, 8.0, 0.0, 0.0]  # 60 minutes
    half = np.array([-10.0, -5.0, 0.0, 5.0, 10.0])  # band offsets for QUANTILE_LEVELS
    quantiles = prediction[:, None, :] + half[None, :, None]
    return prediction, truth, last, quantiles


def test_per_range_bias_rmse_and_coverage() -> None:
    prediction, truth, last, quantiles = constructed()
    got = by_range(prediction, truth, last, quantiles)
    assert [got[r]["windows"] for r in ("<70", "70-180", "180-250", ">250")] == [1, 2, 1, 2]
    assert got["<70"]["bias_30min"] == 5.0 and got["<70"]["rmse_60min"] == 4.0
    assert got["70-180"]["bias_30min"] == 0.0 and got["70-180"]["rmse_30min"] == 3.0
    assert got["70-180"]["bias_60min"] == 6.0 and got["70-180"]["rmse_60min"] == 6.0
    assert got["180-250"]["bias_30min"] == -10.0
    assert got[">250"]["bias_30min"] == -30.0
    assert got[">250"]["rmse_30min"] == np.sqrt((20.0**2 + 40.0**2) / 2)
    # 90 % band is the prediction +- 10: truth inside when the error is at most 10
    assert got["180-250"]["coverage90_30min"] == 1.0 and got[">250"]["coverage90_30min"] == 0.0
    assert got["<70"]["coverage90_5min"] == 1.0


def test_a_range_without_windows_is_counted_as_empty() -> None:
    prediction, truth, last, _ = constructed()
    got = by_range(prediction[1:3], truth[1:3], last[1:3])
    assert got["<70"] == {"windows": 0} and got["70-180"]["windows"] == 2
    assert "coverage90_30min" not in got["70-180"]


def test_coverage_at_every_step() -> None:
    prediction, truth, _, quantiles = constructed()
    got = coverage_by_step(quantiles, truth)
    assert len(got["90"]) == 12 and len(got["50"]) == 12
    assert got["90"][0] == 1.0 and got["50"][0] == 1.0  # exact at 5 minutes
    assert got["90"][5] == 4 / 6  # errors 5, 3, 3, 10 inside; 20, 40 outside
    assert got["50"][5] == 3 / 6  # the 25-75 band is +-5: errors 5, 3, -3 inside


def test_bootstrap_resamples_subjects_not_windows() -> None:
    squared = np.array([[1.0], [1.0], [1.0], [100.0]])
    subjects = np.array(["a", "a", "a", "b"])
    draws = subject_bootstrap(squared, subjects, draws=500)
    # every draw pools whole subjects: all a (1), all b (10), or a mix (sqrt(103/4), ...)
    possible = {1.0, 10.0, np.sqrt(103 / 4), np.sqrt(106 / 7), np.sqrt(203 / 5)}
    assert all(any(np.isclose(d, p) for p in possible) for d in draws[:, 0])
    assert np.isclose(draws[:, 0], 1.0).any() and np.isclose(draws[:, 0], 10.0).any()


def test_mae_and_mard_by_hand() -> None:
    truth = np.array([[100.0, 200.0], [50.0, 100.0]])
    prediction = np.array([[110.0, 180.0], [45.0, 100.0]])
    np.testing.assert_allclose(mae(prediction, truth), [7.5, 10.0])
    # |10|/100 and |5|/50 are both 10 %; |20|/200 is 10 % and 0/100 is 0 %
    np.testing.assert_allclose(mard(prediction, truth), [10.0, 5.0])
    np.testing.assert_allclose(rmse(prediction, truth), [np.sqrt(62.5), np.sqrt(200.0)])


def test_masked_mean_skips_entries_outside_the_mask_and_empty_columns() -> None:
    values = np.array([[1.0, 5.0], [3.0, 7.0]])
    mask = np.array([[True, False], [True, False]])
    got = masked_mean(values, mask)
    assert got[0] == 2.0 and np.isnan(got[1])


def test_range_masks_use_half_open_ranges() -> None:
    masks = range_masks(np.array([69.9, 70.0, 179.9, 180.0, 250.0]))
    assert masks["<70"].tolist() == [True, False, False, False, False]
    assert masks["70-180"].tolist() == [False, True, True, False, False]
    assert masks["180-250"].tolist() == [False, False, False, True, False]
    assert masks[">250"].tolist() == [False, False, False, False, True]
