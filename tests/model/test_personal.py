"""Personal adaptation: causal (no reading after the forecast start is read), it
falls back to the population for a short file, and its quantiles stay inside the
sensor's range."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import numpy as np
import pytest

from glurpc_core.forecast import WindowForecast
from glurpc_core.ingest import prepare
from glurpc_core.model.adaptation import SENSOR_RANGE, Adapter, adapt_method, within_sensor_range
from glurpc_core.model.personal import personal_forecasts
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, CgmSeries
from tests.support import synthetic as syn

START = datetime(2024, 3, 4, 6, 0, 0)


@pytest.fixture(scope="module")
def adapter() -> Adapter:
    return Adapter.load()


def _readings(days: float, seed: int, swing: float = 60.0) -> tuple[list[datetime], np.ndarray]:
    rng = np.random.default_rng(seed)
    count = int(days * 288)
    seconds = np.arange(count) * 300 + 27 + rng.integers(-3, 4, size=count)
    values = 130 + swing * np.sin(np.arange(count) / 23) + rng.normal(0, 6, count).cumsum() / 4
    times = [START + timedelta(seconds=int(s)) for s in seconds]
    return times, np.clip(values, 30, 450).round()


def _window(series: CgmSeries, index: int) -> WindowForecast:
    """A stand-in network forecast: the adapter replaces its distribution."""
    start = series.input_start(index)
    return WindowForecast(
        index=index,
        history_times=series.times[start : start + INPUT_STEPS],
        history=series.history(np.array([start]))[0],
        future_times=series.future_times(index),
        truth=np.zeros(OUTPUT_STEPS, dtype=np.float32),
        sample_means=np.full((OUTPUT_STEPS, 10), 120, dtype=np.float32),
        sample_stds=np.full((OUTPUT_STEPS, 10), 10, dtype=np.float32),
        median=np.full(OUTPUT_STEPS, 120, dtype=np.float32),
        quantiles=np.full((5, OUTPUT_STEPS), 120, dtype=np.float32),
    )


@pytest.mark.parametrize("index", [-900, -300, 0, 12])
def test_changing_every_reading_after_the_forecast_start_changes_nothing(
    adapter: Adapter, index: int
) -> None:
    times, values = _readings(days=5, seed=3)
    series = prepare(syn.to_generic(times, values)).series
    end = series.input_start(index) + INPUT_STEPS - 1
    forecast_start = series.times[end].astype("datetime64[s]").astype(np.int64)
    after = np.array([np.datetime64(t, "s").astype(np.int64) > forecast_start for t in times])
    assert after.any() or index == 12
    changed = np.where(after, values[::-1] + 37, values)  # every later reading differs
    other = prepare(syn.to_generic(times, changed)).series
    served = [adapter.apply(_window(s, index), s, adapter.state(s)) for s in (series, other)]
    np.testing.assert_array_equal(served[0].quantiles, served[1].quantiles)
    np.testing.assert_array_equal(served[0].sample_means, served[1].sample_means)
    np.testing.assert_array_equal(served[0].sample_stds, served[1].sample_stds)


def test_a_one_day_file_falls_back_to_the_population(adapter: Adapter) -> None:
    times, values = _readings(days=1, seed=5)
    series = prepare(syn.to_generic(times, values)).series
    state = adapter.state(series)
    first = series.input_start(int(series.wire_indices()[0])) + INPUT_STEPS - 1
    assert np.isfinite(state.forecast[first:]).all() and np.isfinite(state.scale[first:]).all()
    # A few hours of its own pairs weigh less than the population's pseudo-pairs:
    # the first windows are forecast near the population model, not the person's.
    population = personal_forecasts(series, replace(adapter.prior, prior_pairs=1e12))
    alone = personal_forecasts(series, replace(adapter.prior, prior_pairs=1e-6))
    served = state.forecast[first].astype(np.float64)
    to_population = np.abs(served - population.forecast[first]).max()
    assert to_population < np.abs(served - alone.forecast[first]).max()


def test_a_ninety_day_file_adapts(adapter: Adapter) -> None:
    times, values = _readings(days=90, seed=7)
    series = prepare(syn.to_generic(times, values)).series
    state = adapter.state(series)
    assert state.forecast.shape == (series.points, OUTPUT_STEPS)
    late = series.points - 1
    assert np.isfinite(state.forecast[late]).all()
    # The person's own errors now set the scale, not the population's.
    assert not np.allclose(state.scale[late], np.sqrt(adapter.prior.population_mse))


def test_quantiles_never_leave_the_sensor_range(adapter: Adapter) -> None:
    times, values = _readings(days=3, seed=11, swing=220.0)  # Lows and Highs
    series = prepare(syn.to_generic(times, values)).series
    state = adapter.state(series)
    low, high = SENSOR_RANGE
    for index in range(int(series.wire_indices()[0]), 13, 7):
        served = adapter.apply(_window(series, index), series, state)
        assert served.quantiles.min() >= low and served.quantiles.max() <= high
        assert served.median.min() >= low and served.median.max() <= high
    wild = _window(series, 0)
    wild = within_sensor_range(
        WindowForecast(**{**wild.__dict__, "quantiles": np.linspace(-20, 600, 60).reshape(5, 12)})
    )
    assert wild.quantiles.min() == low and wild.quantiles.max() == high


def test_state_survives_its_cache_encoding(adapter: Adapter) -> None:
    times, values = _readings(days=2, seed=13)
    state = adapter.state(prepare(syn.to_generic(times, values)).series)
    again = type(state).from_bytes(state.to_bytes())
    assert again.method == state.method == "personal-ar/1"
    np.testing.assert_array_equal(again.forecast, state.forecast)


def test_adapt_names() -> None:
    assert adapt_method(None) == "personal-ar/1"
    assert adapt_method("none") == "none"
    # Naming a model asks for its network; asking for the adaptation still gets it.
    assert adapt_method(None, model_named=True) == "none"
    assert adapt_method("personal-ar", model_named=True) == "personal-ar/1"
    with pytest.raises(ValueError):
        adapt_method("psychic")
