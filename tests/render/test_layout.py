"""Pure parts of rendering: input checks, mixture density, fan outlines, plot content."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest

from glurpc_core.render import FORMATS, RenderError
from glurpc_core.render.density import fan_outline, mixture_density
from glurpc_core.render.inputs import check_forecast, check_format
from glurpc_core.render.layout import FAN_HALF_WIDTH, TARGET_RANGE, plot_content
from glurpc_core.render.style import PlotStyle
from tests.render.forecasts import make_forecast

ONE_HOUR = PlotStyle(history_hours=1.0)  # the layout these pixel checks expect


def test_formats_are_normalised_and_unknown_ones_are_bad_requests():
    assert FORMATS == ("png", "svg", "pdf")
    assert check_format("PNG") == "png"
    with pytest.raises(RenderError) as info:
        check_format("gif")
    assert info.value.code == "bad_request"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("median", np.zeros(11, np.float32)),
        ("sample_stds", np.ones(3, np.float32)),
        ("quantiles", np.zeros((4, 12), np.float32)),
        ("history", np.full(96, np.nan, np.float32)),
        ("sample_means", np.full((12, 10), np.inf, np.float32)),
    ],
)
def test_malformed_forecasts_are_invalid_data(field, value):
    broken = dataclasses.replace(make_forecast(), **{field: value})
    with pytest.raises(RenderError) as info:
        check_forecast(broken)
    assert info.value.code == "invalid_data"
    assert info.value.details["field"] == field


def test_missing_truth_is_allowed():
    check_forecast(make_forecast(index=12))


def test_mixture_density_is_the_mean_of_the_sample_gaussians():
    grid = np.linspace(-200.0, 400.0, 60001)
    means = np.array([[100.0, 140.0], [90.0, 95.0]])
    stds = np.array([10.0, 20.0])
    density = mixture_density(means, stds, grid)
    mass = density.sum(axis=1) * (grid[1] - grid[0])
    np.testing.assert_allclose(mass, 1.0, atol=1e-6)
    at_100 = 0.5 * (np.exp(0) / (10 * np.sqrt(2 * np.pi)))
    at_100 += 0.5 * np.exp(-0.5 * 4.0) / (20 * np.sqrt(2 * np.pi))
    assert density[0, np.searchsorted(grid, 100.0)] == pytest.approx(at_100, rel=1e-9)


def test_fan_outline_is_mirrored_and_as_wide_as_asked():
    grid = np.linspace(0.0, 300.0, 301)
    density = mixture_density(np.array([[150.0]]), np.array([15.0]), grid)[0]
    outline = fan_outline(density, grid, centre=10.0, half_width=2.0)
    xs, ys = outline[:, 0], outline[:, 1]
    assert xs.max() == pytest.approx(12.0) and xs.min() == pytest.approx(8.0)
    np.testing.assert_allclose(xs + xs[::-1], 20.0)
    assert ys.min() > 90.0 and ys.max() < 210.0  # 1% tails cut away
    assert fan_outline(np.zeros(10), grid[:10], 0.0, 1.0).shape == (0, 2)


def test_plot_content_anchors_the_median_and_spans_an_hour_each_side():
    forecast = make_forecast(seed=3)
    content = plot_content(forecast, "gluformer-test", ONE_HOUR)
    assert content.median_minutes[0] == 0.0
    assert content.median[0] == pytest.approx(float(forecast.history[-1]))
    np.testing.assert_allclose(content.median_minutes[1:], np.arange(5, 61, 5))
    assert content.observed_minutes[0] == -60.0 and content.observed_minutes[-1] == 60.0
    assert len(content.fans) == 12
    for step, fan in enumerate(content.fans, start=1):
        assert abs(fan[:, 0].mean() - 5.0 * step) < 1e-9
        assert np.ptp(fan[:, 0]) == pytest.approx(2 * FAN_HALF_WIDTH)
    low, high = content.y_limits
    assert low <= TARGET_RANGE[0] and high >= TARGET_RANGE[1]
    assert low <= np.nanmin(content.observed) and high >= np.nanmax(content.observed)
    # Forecast start 13:57: ticks on the quarter hours of the clock, not at 12:57, 13:12.
    assert content.tick_labels[:5] == ("13:00", "13:15", "13:30", "13:45", "14:00")
    assert content.tick_minutes[0] == pytest.approx(-57.0)
    assert content.time_label == "Time on 2026-03-14"
    assert "window 0  |  input from 2026-03-14 06:02" in content.subtitle
    assert "gluformer-test" in content.subtitle


@pytest.mark.parametrize("index", [1, 5, 12])
def test_steps_past_the_data_have_no_truth(index):
    content = plot_content(make_forecast(index=index), "m", ONE_HOUR)
    missing = np.isnan(content.observed)
    assert missing.sum() == index
    assert np.all(content.observed_minutes[missing] > 60 - 5 * index)


def test_render_errors_keep_their_code_across_processes():
    error = pickle.loads(pickle.dumps(RenderError("invalid_data", "bad", {"field": "x"})))
    assert (error.code, error.message, error.details) == ("invalid_data", "bad", {"field": "x"})


def test_overlaid_models_share_each_step_side_by_side_and_widen_the_y_range():
    first = make_forecast(seed=1)
    other = dataclasses.replace(
        make_forecast(seed=2),
        sample_means=make_forecast(seed=2).sample_means + 150.0,
        median=make_forecast(seed=2).median + 150.0,
    )
    alone = plot_content(first, "m1", ONE_HOUR)
    both = plot_content(
        first, "m1", dataclasses.replace(ONE_HOUR, model_id="first", overlays=(("second", other),))
    )
    assert alone.overlays == () and alone.label == ""
    (overlay,) = both.overlays
    assert (both.label, overlay.label) == ("first", "second")
    assert len(overlay.fans) == len(both.fans) == 12
    assert overlay.median[0] == both.median[0]  # both anchored at the last reading
    assert both.y_limits[1] > alone.y_limits[1]  # the second model's fans fit on the axis
    # Each step's slot is split: the first model's fans left of the step, the other's right.
    step = 1
    minute = float(alone.median_minutes[step + 1])
    assert both.fans[step][:, 0].max() <= minute + 1e-9 <= overlay.fans[step][:, 0].min() + 1e-9
    assert np.ptp(alone.fans[step][:, 0]) == pytest.approx(2 * FAN_HALF_WIDTH, rel=0.05)
    assert "models first vs second" in both.subtitle


def test_at_most_three_models_are_overlaid():
    forecast = make_forecast()
    with pytest.raises(ValueError):
        PlotStyle(overlays=tuple((f"m{n}", forecast) for n in range(4)))


def _shifted(forecast, minutes: int):
    """The same forecast moved in time (a window that starts at another clock time)."""
    delta = np.timedelta64(minutes * 60, "s")
    return dataclasses.replace(
        forecast,
        history_times=forecast.history_times + delta,
        future_times=forecast.future_times + delta,
    )


def test_ticks_fall_on_round_times_at_every_history_span():
    # 06:02 + 95 steps = 13:57, moved 44 minutes: a forecast start at 14:41.
    forecast = _shifted(make_forecast(seed=3), 44)
    for hours, step in ((1.0, 15), (3.0, 30), (8.0, 60)):
        content = plot_content(forecast, "m", PlotStyle(history_hours=hours))
        clock = [int(label[:2]) * 60 + int(label[3:5]) for label in content.tick_labels]
        assert all(minute % step == 0 for minute in clock), content.tick_labels
        assert content.x_limits[0] <= content.tick_minutes[0] < content.x_limits[0] + step
        assert content.tick_minutes[-1] <= content.x_limits[1]


def test_a_window_across_midnight_names_both_days():
    # Forecast start 13:57 moved to 23:27 of the same day: the next hour is tomorrow.
    content = plot_content(_shifted(make_forecast(seed=3), 570), "m", ONE_HOUR)
    assert content.time_label == "Time, 2026-03-14 to 2026-03-15"
    midnight = [label for label in content.tick_labels if label.startswith("00:00")]
    assert midnight == ["00:00\n03-15"]
    # Only the first tick of the new day carries the date.
    assert sum("\n" in label for label in content.tick_labels) == 1


@pytest.mark.parametrize(
    ("unit", "label"), [("mg/dL", "target 70-180 mg/dL"), ("mmol/L", "target 3.9-10.0 mmol/L")]
)
def test_the_target_band_is_named_in_the_plot_unit(unit, label):
    content = plot_content(make_forecast(seed=3), "m", PlotStyle(unit=unit))
    assert content.target_label == label
    low, high = content.target_range
    assert f"{low:.1f}" in label or f"{low:.0f}" in label
