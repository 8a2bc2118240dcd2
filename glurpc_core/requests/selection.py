"""Which windows a request names: `index`, `indices` or `at` (pure: numpy, no asyncio).

Layer: ops argument checking. Every selection is checked whole before any work
starts, and a selection that reaches past the data is one `index_out_of_range`
error that says how many of the asked windows do not exist and the valid range,
never one error per window.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glurpc_core.errors import ErrorCode, OpError
from glurpc_core.render.grid import MAX_GRID_WINDOWS
from glurpc_core.requests.args import optional_int, optional_str
from glurpc_core.series import CgmSeries
from glurpc_wire.times import local_time

MAX_WINDOWS_PER_REQUEST = 1024  # bounds one result frame; clients send several requests


def check_selection(args: dict[str, Any]) -> None:
    """Ill-typed selection args are `bad_request` before any upload is read."""
    named = [key for key in ("index", "indices", "at") if key in args]
    if len(named) > 1:
        raise OpError.bad_request(f"give one of 'index', 'indices' or 'at', not {named}")
    if "at" in args:
        parse_at(args["at"])
    elif "indices" in args:
        _int_list(args["indices"])
    else:
        optional_int(args, "index", 0)


def selected_indices(series: CgmSeries, args: dict[str, Any]) -> tuple[list[int], bool]:
    """(wire indices, whether the request named several with `indices`)."""
    check_selection(args)
    if "at" in args:
        return [index_at(series, args["at"])], False
    if "indices" in args:
        return checked(series, _int_list(args["indices"])), True
    return checked(series, [optional_int(args, "index", 0)]), False


def _int_list(value: Any) -> list[int]:
    if not isinstance(value, list) or not value:
        raise OpError.bad_request("'indices' must be a non-empty list of integers")
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        raise OpError.bad_request("'indices' must be a non-empty list of integers")
    if len(value) > MAX_WINDOWS_PER_REQUEST:
        raise OpError.bad_request(
            f"'indices' names {len(value)} windows; one request takes at most "
            f"{MAX_WINDOWS_PER_REQUEST} (send several)"
        )
    return list(dict.fromkeys(value))


def checked(series: CgmSeries, indices: list[int]) -> list[int]:
    low, high = series.index_range()
    outside = [i for i in indices if not series.has_index(i)]
    if not outside:
        return indices
    if len(indices) == 1:
        what = f"index {outside[0]} is"
    else:
        what = f"{len(outside)} of {len(indices)} indices are"
    raise OpError(
        ErrorCode.INDEX_OUT_OF_RANGE,
        f"{what} outside {low}..{high} for this series of {series.windows} windows",
        {
            "samples": series.windows,
            "windows": series.windows,
            "min": low,
            "max": high,
            "index": outside[0],
            "outside": len(outside),
        },
    )


def parse_at(value: Any) -> np.datetime64:
    if not isinstance(value, str):
        raise OpError.bad_request("'at' must be an ISO 8601 timestamp string")
    try:
        return np.datetime64(local_time(value), "s")
    except ValueError as error:
        raise OpError.bad_request(f"'at': {error}") from None


def index_at(series: CgmSeries, value: Any) -> int:
    when = parse_at(value)
    index = series.index_at(when)
    if index is not None:
        return index
    table = series.window_table()
    first = str(table["forecast_start"][-1]) if series.windows else None
    raise OpError(
        ErrorCode.INDEX_OUT_OF_RANGE,
        f"no window's forecast starts at or within 5 minutes before {when}: forecasts start "
        f"from {first} to the hour after the data ({series.times[-1]}), except in the gaps "
        "between stretches",
        {
            "samples": series.windows,
            "windows": series.windows,
            "at": str(when),
            "first_forecast_start": first,
            "last_reading": str(series.times[-1]),
        },
    )


def check_combine(args: dict[str, Any], fmt: str) -> str | None:
    """`combine`: the `indices` (2..MAX_GRID_WINDOWS) as one image, a PNG "grid"
    of their plots or an "overlay" on one axis (any format)."""
    combine = optional_str(args, "combine", ("grid", "overlay"))
    if combine is None:
        return None
    count = len(args.get("indices") or [])
    if not 2 <= count <= MAX_GRID_WINDOWS:
        raise OpError.bad_request(
            f"'combine' draws 2..{MAX_GRID_WINDOWS} windows named by 'indices', not {count}"
        )
    if combine == "grid" and fmt != "png":
        raise OpError.bad_request("a grid of windows is a PNG: use format 'png'")
    return combine
