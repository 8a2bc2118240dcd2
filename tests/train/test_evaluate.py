"""The held-out metrics of glurpc_train/evaluate.py (baselines, errors, band coverage)."""

from __future__ import annotations

import numpy as np

from glurpc_train.evaluate import baselines, coverage, errors


def test_baselines_hold_the_level_and_continue_a_line() -> None:
    ramp = 100.0 + 2.0 * np.arange(96)  # +2 mg/dL per 5 minutes
    out = baselines(np.stack([ramp, np.full(96, 150.0)]))
    np.testing.assert_allclose(out["linear"][0], ramp[-1] + 2.0 * np.arange(1, 13))
    np.testing.assert_allclose(out["persistence"][0], np.full(12, ramp[-1]))
    np.testing.assert_allclose(out["linear"][1], np.full(12, 150.0))


def test_errors_read_steps_1_6_and_12() -> None:
    truth = np.zeros((2, 12))
    prediction = np.zeros((2, 12))
    prediction[:, 0] = 1.0  # 5 minutes
    prediction[:, 5] = [3.0, -4.0]  # 30 minutes
    prediction[:, 11] = 6.0  # 60 minutes
    got = errors(prediction, truth)
    assert got["mae_5min"] == 1.0 and got["rmse_5min"] == 1.0
    assert got["mae_30min"] == 3.5 and got["rmse_30min"] == np.sqrt(12.5)
    assert got["mae_60min"] == 6.0 and got["rmse_60min"] == 6.0


def test_coverage_counts_truth_inside_each_band() -> None:
    # quantile rows 0.05, 0.25, 0.5, 0.75, 0.95 as offsets around 100 mg/dL
    band = np.array([-20.0, -5.0, 0.0, 5.0, 20.0])[:, None] + np.full((5, 12), 100.0)
    quantiles = np.stack([band] * 4)
    truth = np.full((4, 12), 100.0)
    truth[:, 5] = [100.0, 110.0, 125.0, 90.0]  # 30 min: in both, 90 only, outside, 90 only
    got = coverage(quantiles, truth)
    assert got["coverage_90_30min"] == 0.75 and got["coverage_50_30min"] == 0.25
    assert got["coverage_90_60min"] == 1.0 and got["coverage_50_60min"] == 1.0
