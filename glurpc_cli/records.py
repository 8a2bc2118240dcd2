"""The one shape of every line a batch reports and every window a forecast
prints, built here for the local path and the Ray engine alike (stdlib only).

Layer: CLI output formatting. An outcome record says what became of one window
of one file (written, skipped, failed). A window record is one forecast as
`glurpc forecast` prints it: a JSON line, or a row of the wide CSV layout, one
row per window, so a bulk run is one table: who and which window, then per
forecast step (5, 10, .. 60 minutes after the forecast start) the median, the
five quantiles and the known truth.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .output import json_text
from .targets import cli_index

# Windows per `forecast` request: a whole number of model batches, a small
# frame. The Ray engine mirrors it: a window alone in its request names the
# upload's handle in its record.
FORECAST_CHUNK = 256

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


def outcome_record(
    source: Path | str,
    wire: int | None,
    output: Path | str | None,
    status: str,
    subject: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One line of a batch's report; `output` is None before a target is known
    and "-" for stdout."""
    return {
        "file": str(source),
        "subject": subject,
        "index": cli_index(wire) if wire is not None else None,
        "wire_index": wire,
        "output": str(output) if output is not None else None,
        "status": status,
        **extra,
    }


def window_record(file: str, window: dict[str, Any]) -> dict[str, Any]:
    """One forecast window of a reply, numbered the way the CLI user counts."""
    wire = int(window.get("index", 0))
    return {"file": file, **window, "index": cli_index(wire), "wire_index": wire}


def csv_text(values: list[Any] | tuple[Any, ...]) -> str:
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return stream.getvalue()


CSV_HEADER = csv_text(WINDOW_COLUMNS)


def window_text(record: dict[str, Any], fmt: str) -> str:
    """A window record as printed: one JSON line, or one CSV row (header apart)."""
    return csv_text(window_row(record)) if fmt == "csv" else json_text(record)
