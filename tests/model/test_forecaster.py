"""Forecaster: shapes, finite ordered outputs, seeded determinism independent of
batching, cancellation between batches, and index validation before compute."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast
from glurpc_core.model import Forecaster, ModelError
from tests.support.checkpoints import save_random_bundle

from .conftest import SMALL, seeded_series

SERIES = seeded_series(140, seed=1)  # 33 windows with a known future: -32..0


def same(a: WindowForecast, b: WindowForecast) -> bool:
    return all(
        np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        for x, y in zip(a.to_arrays().values(), b.to_arrays().values(), strict=True)
    )


def test_fields_shapes_and_order(small_bundle: Path) -> None:
    forecaster = Forecaster(small_bundle, source="explicit", samples=7)
    out = forecaster.forecast(SERIES, [-32, 0, 5, 12])
    assert sorted(out) == [-32, 0, 5, 12]
    for index, window in out.items():
        assert window.index == index
        assert window.history.shape == (96,) and window.history.dtype == np.float32
        assert window.sample_means.shape == (12, 7) and window.sample_stds.shape == (12, 7)
        assert window.quantiles.shape == (len(QUANTILE_LEVELS), 12)
        for name in ("sample_means", "sample_stds", "median", "quantiles", "history"):
            assert np.isfinite(getattr(window, name)).all(), name
        assert (np.diff(window.quantiles, axis=0) >= 0).all()
        np.testing.assert_array_equal(window.median, window.quantiles[2])
        assert (window.sample_stds > 0).all()
    np.testing.assert_array_equal(out[0].truth, SERIES.glucose[-12:])
    np.testing.assert_array_equal(out[12].history, SERIES.glucose[-96:])
    assert np.isnan(out[12].truth).all()
    assert np.isnan(out[5].truth[7:]).all() and np.isfinite(out[5].truth[:7]).all()
    np.testing.assert_array_equal(out[5].future_times, SERIES.future_times(5))
    assert forecaster.scaling == "bundle"


def test_same_request_same_numbers_whatever_the_batching(small_bare: Path) -> None:
    indices = [*range(-32, 0, 5), 0, 1, 7, 12]
    wide = Forecaster(small_bare, source="explicit", batch_rows=1000).forecast(SERIES, indices)
    narrow = Forecaster(small_bare, source="explicit", batch_rows=30).forecast(SERIES, indices)
    alone = Forecaster(small_bare, source="explicit", batch_rows=10).forecast(SERIES, [-7])
    assert all(same(wide[i], narrow[i]) for i in indices)
    assert same(alone[-7], wide[-7])
    # samples really differ (dropout is on) and another seed gives other numbers
    assert np.ptp(wide[0].sample_means, axis=1).min() > 0
    reseeded = Forecaster(small_bare, source="explicit", seed=1).forecast(SERIES, [-7])
    assert not np.array_equal(reseeded[-7].sample_means, alone[-7].sample_means)


def test_bare_checkpoint_scales_on_the_upload(small_bare: Path) -> None:
    forecaster = Forecaster(small_bare, source="explicit")
    assert forecaster.scaling == "fitted_on_upload"
    assert forecaster.model_id.startswith("small_2heads_weights-")
    assert len(forecaster.model_id.rsplit("-", 1)[1]) == 12


def test_skip_drops_windows_between_batches(small_bundle: Path) -> None:
    forecaster = Forecaster(small_bundle, source="explicit", samples=10, batch_rows=20)
    indices = list(range(-9, 1))  # 10 windows, 2 per batch
    assert forecaster.count_batches(len(indices)) == 5
    progress: list[tuple[int, int]] = []
    abandoned: set[int] = set()

    def on_batch(done: int, total: int) -> None:
        progress.append((done, total))
        if done == 1:
            abandoned.update({-7, -6, -5})  # nobody waits for these any more

    out = forecaster.forecast(SERIES, indices, skip=abandoned.__contains__, on_batch=on_batch)
    assert sorted(out) == [-9, -8, -4, -3, -2, -1, 0]
    assert progress == [(1, 5), (2, 4), (3, 4), (4, 4)]


def test_skip_everything_computes_nothing(small_bundle: Path) -> None:
    forecaster = Forecaster(small_bundle, source="explicit")
    calls: list[int] = []
    out = forecaster.forecast(
        SERIES, [0, -1], skip=lambda i: True, on_batch=lambda *a: calls.append(1)
    )
    assert out == {} and calls == []


@pytest.mark.parametrize("bad", [-33, 13])
def test_invalid_index_raises_before_compute(small_bundle: Path, bad: int) -> None:
    forecaster = Forecaster(small_bundle, source="explicit")
    batches: list[int] = []
    with pytest.raises(IndexError):
        forecaster.forecast(SERIES, [0, bad], on_batch=lambda done, total: batches.append(done))
    assert batches == []


def test_published_size_one_window(published_checkpoint: Path) -> None:
    forecaster = Forecaster(published_checkpoint, source="explicit")
    assert forecaster.parameters == 11_294_272
    window = forecaster.forecast(SERIES, [0])[0]
    assert window.sample_means.shape == (12, 10)
    assert np.isfinite(window.quantiles).all()
    assert forecaster.memory()["rss_bytes"] > 0


def test_a_window_split_across_batches_gives_the_same_bytes(small_bundle: Path) -> None:
    whole = Forecaster(small_bundle, source="explicit", samples=10, batch_rows=100)
    split = Forecaster(small_bundle, source="explicit", samples=10, batch_rows=3)
    batches: list[int] = []
    out = split.forecast(SERIES, [0, -5], on_batch=lambda done, total: batches.append(total))
    assert batches[0] == 7  # 20 rows in batches of 3
    expected = whole.forecast(SERIES, [0, -5])
    assert all(same(out[index], expected[index]) for index in (0, -5))


def test_abandoning_a_window_mid_samples_stops_within_one_batch(small_bundle: Path) -> None:
    forecaster = Forecaster(small_bundle, source="explicit", samples=12, batch_rows=4)
    batches: list[int] = []
    gone: set[int] = set()

    def on_batch(done: int, total: int) -> None:
        batches.append(done)
        if done == 1:
            gone.add(0)  # its only client left after the first of three batches

    out = forecaster.forecast(SERIES, [0], skip=gone.__contains__, on_batch=on_batch)
    assert out == {} and batches == [1]


def test_anchored_bundle_adds_the_last_input_back(small_bundle: Path, tmp_path: Path) -> None:
    # the same weights as small_bundle (conftest: seed 5, SMALL), trained for changes
    anchored_path = save_random_bundle(
        tmp_path / "anchored.pt", seed=5, config=SMALL, target_anchor="last_input"
    )
    indices = [-20, 0, 12]
    plain = Forecaster(small_bundle, source="explicit").forecast(SERIES, indices)
    anchored = Forecaster(anchored_path, source="explicit").forecast(SERIES, indices)
    for index in indices:
        # scaled last input l = (g - 40) / 360 comes back as g - 40 mg/dL
        shift = anchored[index].sample_means - plain[index].sample_means
        expected = np.float32(plain[index].history[-1] - 40.0)
        np.testing.assert_allclose(shift, expected, atol=2e-3)
        np.testing.assert_array_equal(anchored[index].sample_stds, plain[index].sample_stds)


def test_unknown_target_anchor_is_refused(tmp_path: Path) -> None:
    path = save_random_bundle(tmp_path / "odd.pt", config=SMALL, target_anchor="first_input")
    with pytest.raises(ModelError) as caught:
        Forecaster(path, source="explicit")
    assert caught.value.code == "model_invalid"
    assert "first_input" in caught.value.message
