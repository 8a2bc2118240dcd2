"""The request-argument rules of the compute core, as plain functions: argument
types, which windows a request names, plot styles, upload arguments and the
wire encoding of a forecast. No daemon: these rules hold wherever they run."""

from __future__ import annotations

import numpy as np
import pytest

from glurpc_core.errors import ErrorCode, OpError
from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast
from glurpc_core.ingest import PrepareSettings
from glurpc_core.requests import args, selection, styles, uploads, wire
from glurpc_core.series import INPUT_STEPS, MAX_AHEAD, OUTPUT_STEPS, CgmSeries

START = np.datetime64("2024-03-05T00:00:00", "s")
STEP = np.timedelta64(300, "s")


def series(points: int = 120, stretches: tuple[int, ...] = (0,)) -> CgmSeries:
    """A steady climb of `points` 5-minute readings; stretch breaks at `stretches`."""
    times = START + STEP * np.arange(points)
    for start in stretches[1:]:  # a gap of an hour before each later stretch
        times[start:] += np.timedelta64(3600, "s")
    glucose = np.linspace(80, 200, points).astype(np.float32)
    return CgmSeries(times, glucose, np.array(stretches))


def bad_request(call, *a, **kw) -> str:
    with pytest.raises(OpError) as raised:
        call(*a, **kw)
    assert raised.value.code is ErrorCode.BAD_REQUEST
    return raised.value.message


# -- argument types -----------------------------------------------------------


def test_argument_types_refuse_lookalikes():
    assert args.required_bytes({"csv": bytearray(b"x")}, "csv") == b"x"
    assert "binary" in bad_request(args.required_bytes, {"csv": "text"}, "csv")
    assert args.optional_int({}, "dpi", 100) == 100
    assert "integer" in bad_request(args.optional_int, {"dpi": True}, "dpi", 100)
    assert "integer" in bad_request(args.optional_int, {"dpi": 1.5}, "dpi", 100)
    assert "true or false" in bad_request(args.optional_bool, {"all": 1}, "all")
    assert args.optional_str({"u": "mmol/L"}, "u", ("mg/dL", "mmol/L")) == "mmol/L"
    message = bad_request(args.optional_str, {"u": "mM"}, "u", ("mg/dL", "mmol/L"))
    assert message == "'u' must be one of mg/dL, mmol/L, not 'mM'"


# -- which windows -------------------------------------------------------------


def test_a_selection_names_one_way_of_choosing():
    assert "not ['index', 'at']" in bad_request(
        selection.check_selection, {"index": 0, "at": "2024-03-05T10:00"}
    )
    assert "non-empty list" in bad_request(selection.check_selection, {"indices": []})
    assert "non-empty list" in bad_request(selection.check_selection, {"indices": [0, False]})
    too_many = list(range(selection.MAX_WINDOWS_PER_REQUEST + 1))
    assert "at most" in bad_request(selection.check_selection, {"indices": too_many})


def test_indices_are_deduplicated_in_order_and_checked_whole():
    one = series()  # 120 points: 13 windows, wire indices -12..12
    assert one.index_range() == (-12, MAX_AHEAD)
    assert selection.selected_indices(one, {"indices": [-1, 0, -1]}) == ([-1, 0], True)
    assert selection.selected_indices(one, {}) == ([0], False)
    with pytest.raises(OpError) as raised:
        selection.selected_indices(one, {"indices": [-13, -20, 0]})
    error = raised.value
    assert error.code is ErrorCode.INDEX_OUT_OF_RANGE
    assert error.message == "2 of 3 indices are outside -12..12 for this series of 13 windows"
    assert error.details["index"] == -13 and error.details["outside"] == 2


def test_windows_are_counted_over_every_stretch():
    two = series(240, stretches=(0, 120))  # two stretches of 120 points: 13 windows each
    assert two.windows == 26
    # The oldest window of the newer stretch follows the newest of the older one.
    assert two.input_start(-12) == 120
    assert two.input_start(-13) == 120 - (INPUT_STEPS + OUTPUT_STEPS)


def test_at_picks_the_window_whose_forecast_starts_then():
    one = series()
    forecast_start = one.times[one.input_start(-2) + INPUT_STEPS - 1]
    at = str(np.datetime_as_string(forecast_start, unit="m"))
    assert selection.selected_indices(one, {"at": at}) == ([-2], False)
    assert "ISO 8601" in bad_request(selection.parse_at, "yesterday")
    with pytest.raises(OpError) as raised:
        selection.index_at(one, "2023-01-01T00:00")
    assert raised.value.code is ErrorCode.INDEX_OUT_OF_RANGE


@pytest.mark.parametrize("value", ["2024-03-05T08:00+05:00", "2024-03-05T08:00Z"])
def test_at_with_a_zone_is_refused_not_read_as_the_files_clock(value):
    # With the offset dropped, +05:00 and Z picked the same window as the plain
    # time: hours from the instant meant. The file's times carry no zone.
    assert "UTC offset" in bad_request(selection.parse_at, value)
    assert selection.parse_at("2024-03-05T08:00") == np.datetime64("2024-03-05T08:00:00")


# -- plot styles ------------------------------------------------------------------


def test_plot_style_takes_the_upload_unit_unless_asked_and_bounds_its_options():
    one = series()
    upload = {"unit": "mmol/L", "subject": "p7"}
    style = styles.plot_style({}, one, upload, -3, "m1")
    assert (style.unit, style.subject, style.model_id) == ("mmol/L", "p7", "m1")
    assert style.label == "index 3 (3 before the latest)"
    assert styles.plot_style({"units": "mg/dL"}, one, upload, 0, "m1").unit == "mg/dL"
    assert styles.window_label(MAX_AHEAD) == "next hour (--ahead)"
    assert "'dpi'" in bad_request(styles.plot_style, {"dpi": 5}, one, upload, 0, "m1")
    assert "'title'" in bad_request(styles.plot_style, {"title": "x" * 1000}, one, upload, 0, "m1")
    message = bad_request(styles.plot_style, {"history_hours": 9}, one, upload, 0, "m1")
    assert "at most 8" in message


def test_window_times_name_the_first_and_last_history_instants():
    one = series()
    times = styles.window_times(one, 0)
    # 120 points: the latest window with a known hour after it starts at point 12.
    assert times == {"window_start": "2024-03-05T01:00:00", "forecast_start": "2024-03-05T08:55:00"}


# -- uploads ---------------------------------------------------------------------


def test_upload_arguments():
    assert uploads.prepare_settings({}) == PrepareSettings(sequence="all", subject=None)
    chosen = uploads.prepare_settings({"sequence": "latest", "subject": "7"})
    assert chosen == PrepareSettings(sequence="latest", subject="7")
    assert "sequence" in bad_request(uploads.prepare_settings, {"sequence": "first"})
    assert uploads.checked_upload({"csv": b"12345"}, 5) == b"12345"
    with pytest.raises(OpError) as raised:
        uploads.checked_upload({"csv": b"123456"}, 5)
    assert raised.value.code is ErrorCode.INVALID_DATA
    assert raised.value.details == {"reason": "too_large", "bytes": 6, "limit": 5}
    assert uploads.recorded_unit({}) == "mg/dL"


# -- the wire encoding ------------------------------------------------------------


def test_a_forecast_leaves_in_the_unit_asked_with_missing_truth_as_null():
    one = series()
    start = one.input_start(MAX_AHEAD)  # the hour after the data: no truth
    history = one.times[start : start + INPUT_STEPS]
    future = history[-1] + STEP * np.arange(1, OUTPUT_STEPS + 1)
    median = np.full(OUTPUT_STEPS, 180.182, dtype=np.float32)
    window = WindowForecast(
        index=MAX_AHEAD,
        history_times=history,
        history=one.glucose[start : start + INPUT_STEPS],
        future_times=future,
        truth=np.full(OUTPUT_STEPS, np.nan, dtype=np.float32),
        median=median,
        quantiles=np.tile(median, (len(QUANTILE_LEVELS), 1)),
        sample_means=np.tile(median, (2, 1)).T,
        sample_stds=np.ones((OUTPUT_STEPS, 2), dtype=np.float32),
    )
    encoded = wire.forecast_to_wire(window, one, "mmol/L", {"model": "m1"})
    assert encoded["median"][0] == pytest.approx(10.0, abs=1e-3)
    assert encoded["truth"] == [None] * OUTPUT_STEPS and encoded["future_known"] is False
    assert encoded["horizon_minutes"] == list(range(5, 65, 5))
    assert list(encoded["quantiles"]) == ["0.05", "0.25", "0.5", "0.75", "0.95"]
    assert encoded["model"] == "m1" and encoded["unit"] == "mmol/L"


def test_combine_is_a_grid_of_2_to_12_windows_as_a_png():
    assert selection.check_combine({"combine": "grid", "indices": [0, -1]}, "png") == "grid"
    assert selection.check_combine({"index": 0}, "png") is None
    assert "2..12" in bad_request(selection.check_combine, {"combine": "grid", "index": 0}, "png")
    many = {"combine": "grid", "indices": list(range(0, -13, -1))}
    assert "2..12" in bad_request(selection.check_combine, many, "png")
    pair = {"combine": "grid", "indices": [0, -1]}
    assert "PNG" in bad_request(selection.check_combine, pair, "svg")
    assert selection.check_combine({**pair, "combine": "overlay"}, "svg") == "overlay"
    assert "one of grid" in bad_request(
        selection.check_combine, {**pair, "combine": "stack"}, "png"
    )
