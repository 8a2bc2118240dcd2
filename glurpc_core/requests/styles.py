"""A plot request's options and a window's marks -> `PlotStyle` (pure: numpy).

Layer: ops argument checking for plots. The label names the window the way
the CLI user typed it (`--index 3` is "3 before the latest"; wire index 12 is
`--ahead`, "next hour").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glurpc_core.errors import OpError
from glurpc_core.render.style import DPI_RANGE, MAX_TITLE, PlotStyle
from glurpc_core.requests.args import optional_int, optional_str
from glurpc_core.requests.uploads import recorded_unit
from glurpc_core.series import INPUT_STEPS, MAX_AHEAD, OUTPUT_STEPS, UNITS, CgmSeries


def window_label(index: int) -> str:
    if index == 0:
        return "index 0 (the latest window with a known next hour)"
    if index < 0:
        return f"index {-index} ({-index} before the latest)"
    if index == MAX_AHEAD:
        return "next hour (--ahead)"
    return f"{index} steps past the data"


def window_times(series: CgmSeries, index: int) -> dict[str, str]:
    start = series.input_start(index)
    return {
        "window_start": _iso(series.times[start]),
        # The last history instant, where the median is anchored.
        "forecast_start": _iso(series.times[start + INPUT_STEPS - 1]),
    }


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="s"))


def _history_hours(args: dict[str, Any]) -> float:
    value = args.get("history_hours", INPUT_STEPS / 12)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OpError.bad_request("'history_hours' must be a number")
    if not 0 < value <= INPUT_STEPS / 12:
        raise OpError.bad_request("'history_hours' must be more than 0 and at most 8")
    return float(value)


def plot_style(
    args: dict[str, Any],
    series: CgmSeries,
    upload: dict[str, Any],
    index: int,
    model_id: str,
) -> PlotStyle:
    """`upload`: what the reply says about the uploaded bytes (their unit and
    subject), as `uploads.upload_facts` gives it."""
    dpi = optional_int(args, "dpi", 100)
    if not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
        raise OpError.bad_request(f"'dpi' must be in {DPI_RANGE[0]}..{DPI_RANGE[1]}")
    title = optional_str(args, "title")
    if title is not None and len(title) > MAX_TITLE:
        raise OpError.bad_request(f"'title' is longer than {MAX_TITLE} characters")
    start = series.input_start(index)
    assert series.clipped is not None
    truth_clipped = np.zeros(OUTPUT_STEPS, dtype=bool)
    known = series.clipped[start + INPUT_STEPS : start + INPUT_STEPS + OUTPUT_STEPS]
    truth_clipped[: len(known)] = known
    subject = upload.get("subject")
    return PlotStyle(
        label=window_label(index),
        unit=optional_str(args, "units", UNITS) or recorded_unit(upload),
        history_hours=_history_hours(args),
        dpi=dpi,
        title=title,
        model_id=model_id,
        subject=str(subject) if subject is not None else None,
        imputed=series.history_imputed(start),
        clipped=np.asarray(series.clipped[start : start + INPUT_STEPS]),
        clipped_truth=truth_clipped,
    )
