"""One forecast window -> one CSV row (pure: stdlib only).

Layer: CLI output formatting. Wide layout, one row per window, so a bulk run is
one table: who and which window, then per forecast step (5, 10, .. 60 minutes
after the forecast start) the median, the five quantiles and the known truth.
"""

from __future__ import annotations

from typing import Any

QUANTILE_KEYS = ("0.05", "0.25", "0.5", "0.75", "0.95")
STEPS = 12
STEP_MINUTES = 5
_META = (
    "file", "subject", "index", "wire_index", "forecast_start", "unit", "last_value",
    "model", "seed", "samples", "adapt",
)  # fmt: skip
WINDOW_COLUMNS = (
    *_META,
    *(f"median_{m}" for m in range(STEP_MINUTES, STEPS * STEP_MINUTES + 1, STEP_MINUTES)),
    *(
        f"q{q}_{m}"
        for q in QUANTILE_KEYS
        for m in range(STEP_MINUTES, STEPS * STEP_MINUTES + 1, STEP_MINUTES)
    ),
    *(f"truth_{m}" for m in range(STEP_MINUTES, STEPS * STEP_MINUTES + 1, STEP_MINUTES)),
)


def _steps(values: Any) -> list[Any]:
    values = list(values or [])
    return (values + [None] * STEPS)[:STEPS]


def window_row(record: dict[str, Any]) -> list[Any]:
    quantiles = record.get("quantiles") or {}
    row: list[Any] = [record.get(key) for key in _META]
    row += _steps(record.get("median"))
    for key in QUANTILE_KEYS:
        row += _steps(quantiles.get(key))
    row += _steps(record.get("truth"))
    return row
