"""The one shape of every `--json` line `plot` and `forecast` print (pure: stdlib only).

Layer: CLI output formatting. A script reading `glurpc plot ... --json` must not
break because it was given one file instead of three, one subject instead of
`--subject all`, or a cached image instead of a fresh one: every record has
every key below, in this order, with null where a value does not apply (a
failed image has no `bytes`, a written one no `code`). A key a newer daemon
adds comes after them, so readers by name never break. docs/PROTOCOL.md
("CLI records") lists them; tests/cli/test_records.py holds the schema.
"""

from __future__ import annotations

from typing import Any

# One line per image of `plot --json` (and `quick-plot --json`).
PLOT_FIELDS = (
    "file", "subject", "index", "wire_index", "output", "status", "handle", "format",
    "model", "window_start", "forecast_start", "bytes", "warnings", "code", "message",
)  # fmt: skip

# One line per window of `forecast` (JSON): who and which window, then the
# daemon's forecast map (docs/PROTOCOL.md `forecast`), then the upload's warnings.
FORECAST_FIELDS = (
    "file", "subject", "index", "wire_index", "handle", "window_start", "forecast_start",
    "times", "history_times", "history", "truth", "median", "quantiles", "unit",
    "horizon_minutes", "last_value", "future_known", "step_minutes", "model", "seed",
    "samples", "calibration", "warnings",
)  # fmt: skip


def shaped(fields: tuple[str, ...], values: dict[str, Any]) -> dict[str, Any]:
    """Every one of `fields`, in order (null when missing), then any other key of
    `values` (what a newer daemon adds) in sorted order."""
    record = {field: values.get(field) for field in fields}
    record.update((key, values[key]) for key in sorted(set(values) - set(fields)))
    return record


def plot_record(**values: Any) -> dict[str, Any]:
    return shaped(PLOT_FIELDS, values)


def forecast_record(window: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The daemon's map of one window, with `values` (the CLI's numbering, the file,
    the handle, the warnings) replacing its keys of the same name."""
    return shaped(FORECAST_FIELDS, {**window, **values})
