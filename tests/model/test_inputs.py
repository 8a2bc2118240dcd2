"""Input preparation and mixture quantiles (pure arithmetic)."""

from __future__ import annotations

import numpy as np
import pytest

from glurpc_core.model.inputs import MinMax, Scaling, calendar_features, window_inputs
from glurpc_core.model.mixture import mixture_quantiles

from .conftest import seeded_series


def test_calendar_features_follow_the_reference_order() -> None:
    times = np.array(["2024-01-31T23:57:09", "2024-02-01T00:02:09"], dtype="datetime64[s]")
    assert calendar_features(times).tolist() == [
        [31, 1, 2024, 23, 57, 9],
        [1, 2, 2024, 0, 2, 9],
    ]


def test_min_max_is_float32_and_constant_columns_map_to_zero() -> None:
    values = np.array([[50, 7], [150, 7], [100, 7]], dtype=np.float32)
    scaler = MinMax.fit(values)
    scaled = scaler.transform(values)
    assert scaled.dtype == np.float32
    np.testing.assert_array_equal(scaled[:, 0], [0, 1, 0.5])
    np.testing.assert_array_equal(scaled[:, 1], [0, 0, 0])
    np.testing.assert_allclose(scaler.inverse(scaled), values, rtol=1e-6)


def test_decoder_input_is_label_then_zeros_and_past_end_marks_exist() -> None:
    series = seeded_series(200)
    scaling = Scaling.fit_on(series)
    arrays = window_inputs(series, [0, 12], scaling, label_len=32)
    assert arrays.x_enc.shape == (2, 96, 1) and arrays.x_mark_enc.shape == (2, 96, 6)
    assert arrays.x_dec.shape == (2, 44, 1) and arrays.x_mark_dec.shape == (2, 44, 6)
    np.testing.assert_array_equal(arrays.x_dec[:, :32], arrays.x_enc[:, 64:])
    assert not arrays.x_dec[:, 32:].any()
    np.testing.assert_array_equal(arrays.x_mark_dec[:, :32], arrays.x_mark_enc[:, 64:])
    # index 12 reads the latest 96 points
    np.testing.assert_array_equal(
        arrays.x_enc[1, :, 0], scaling.target.transform(series.glucose[-96:])
    )


def test_single_gaussian_quantiles_match_the_normal_table() -> None:
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    means = np.full((1, 2, 3), 100.0)
    stds = np.full((1, 3), 10.0)
    got = mixture_quantiles(means, stds, levels)[0, :, 0]
    z = np.array([-1.6448536, -0.6744898, 0.0, 0.6744898, 1.6448536])
    np.testing.assert_allclose(got, 100 + 10 * z, atol=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_mixture_quantiles_are_ordered_and_bracket_the_cdf(seed: int) -> None:
    rng = np.random.default_rng(seed)
    means = rng.normal(120, 30, (4, 12, 10))
    stds = rng.uniform(0.01, 20, (4, 10))
    levels = (0.05, 0.25, 0.5, 0.75, 0.95)
    quantiles = mixture_quantiles(means, stds, levels)
    assert (np.diff(quantiles, axis=1) >= 0).all()
    assert (quantiles[:, 0] >= means.min(-1) - 10 * stds.max(-1)[:, None]).all()
