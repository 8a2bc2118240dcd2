"""The one shape of every line a batch reports and every window a forecast
prints, built here for the local path and the Ray engine alike (stdlib only).

A script reading `glurpc plot ... --json` must not break because it was given
one file instead of three, one subject instead of `--subject all`, or a cached
image instead of a fresh one: every record has every key of PLOT_FIELDS (an
image) or FORECAST_FIELDS (a window), in that order, with null where a value
does not apply (a failed image has no `bytes`, a written one no `code`). A key a
newer daemon adds comes after them, so readers by name never break.
docs/PROTOCOL.md ("CLI records") lists them; tests/integration/test_records.py
holds the schema.

Layer: CLI output formatting. An outcome record says what became of one window
of one file (written, skipped, failed). A window record is one forecast as
`glurpc forecast` prints it: a JSON line, or a row of the wide CSV layout, one
row per window, so a bulk run is one table: who and which window, then per
forecast step (5, 10, .. 60 minutes after the forecast start) the median, the
five quantiles and the known truth.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .output import json_text
from .targets import cli_index

# One line per image of `plot --json` (and `quick-plot --json`).
PLOT_FIELDS = (
    "file", "subject", "index", "wire_index", "output", "status", "handle", "format",
    "model", "adapt", "window_start", "forecast_start", "bytes", "warnings", "code", "message",
)  # fmt: skip

# One line per window of `forecast` (JSON): who and which window, then the
# daemon's forecast map (docs/PROTOCOL.md `forecast`), then the upload's warnings.
FORECAST_FIELDS = (
    "file", "subject", "index", "wire_index", "handle", "window_start", "forecast_start",
    "times", "history_times", "history", "truth", "median", "quantiles", "unit",
    "horizon_minutes", "last_value", "future_known", "step_minutes", "model", "seed",
    "samples", "calibration", "adapt", "warnings",
)  # fmt: skip


def shaped(fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Every one of `fields`, in order (null when missing), then any other key of
    `values` (what a newer daemon adds) in sorted order."""
    record = {field: values.get(field) for field in fields}
    record.update((key, values[key]) for key in sorted(set(values) - set(fields)))
    return record


# Windows per `forecast` request: a whole number of model batches, a small frame.
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
    """One line of a batch's report (PLOT_FIELDS); `output` is None before a
    target is known and "-" for stdout."""
    values = {
        "file": str(source),
        "subject": subject,
        "index": cli_index(wire) if wire is not None else None,
        "wire_index": wire,
        "output": str(output) if output is not None else None,
        "status": status,
    }
    return shaped(PLOT_FIELDS, {**values, **extra})


def window_record(file: str, window: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One forecast window of a reply (FORECAST_FIELDS), numbered the way the CLI
    user counts; `extra` (the handle, the upload's warnings) fills what the
    window's own map leaves out."""
    wire = int(window.get("index", 0))
    values = {**window, **extra, "file": file, "index": cli_index(wire), "wire_index": wire}
    return shaped(FORECAST_FIELDS, values)


def csv_text(values: list[Any] | tuple[Any, ...]) -> str:
    import csv  # only CSV output pays for it: every `glurpc plot` loads this module

    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return stream.getvalue()


def csv_header() -> str:
    return csv_text(WINDOW_COLUMNS)


def window_text(record: dict[str, Any], fmt: str) -> str:
    """A window record as printed: one JSON line, or one CSV row (header apart)."""
    return csv_text(window_row(record)) if fmt == "csv" else json_text(record)
