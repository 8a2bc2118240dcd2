"""One window's forecast -> its wire map (pure: numpy).

Layer: ops result encoding. Values leave in the unit asked for (one factor,
`series.MGDL_PER_MMOL`); the keys of PROTOCOL.md's `forecast` result come
first, then glurpc's additions (see docs/PROTOCOL.md, Extensions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast
from glurpc_core.requests.styles import window_times
from glurpc_core.series import STEP_SECONDS, CgmSeries, convert_units


def _floats(values: np.ndarray, unit: str) -> list[float | None]:
    converted = convert_units(np.asarray(values, dtype=np.float64), unit)
    return [None if np.isnan(v) else round(float(v), 3) for v in converted]


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="s"))


def forecast_to_wire(
    window: WindowForecast, series: CgmSeries, unit: str, facts: dict[str, Any]
) -> dict[str, Any]:
    truth = _floats(window.truth, unit)
    horizon = (window.future_times - window.history_times[-1]).astype("timedelta64[s]")
    return {
        "index": window.index,
        "times": [_iso(t) for t in window.future_times],
        "history_times": [_iso(t) for t in window.history_times],
        "history": _floats(window.history, unit),
        "truth": truth,
        "median": _floats(window.median, unit),
        "quantiles": {
            f"{level:g}": _floats(row, unit)
            for level, row in zip(QUANTILE_LEVELS, window.quantiles, strict=True)
        },
        "unit": unit,
        **window_times(series, window.index),
        "horizon_minutes": [int(s) // 60 for s in horizon.astype(np.int64)],
        "last_value": _floats(window.history[-1:], unit)[0],
        "future_known": all(v is not None for v in truth),
        "step_minutes": STEP_SECONDS // 60,
        **facts,
    }
