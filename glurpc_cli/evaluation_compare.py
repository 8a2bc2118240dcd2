"""Several models' `evaluate` reports side by side (pure formatting).

Each model's report is the daemon's own (its bootstrap intervals are over
sources, per model); this table puts their pooled headline numbers in one
place: RMSE and MAE at 30 and 60 minutes, the ratio of RMSE at 60 minutes to
persistence with its interval, and band coverage; then each model's
difference to the first, with the daemon's paired bootstrap interval. The
CSV holds every number of every model's report (the one-model CSV's rows,
led by the model's name) and the differences as pooled rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .evaluation_view import CSV_HEADER, KEY_MINUTES, _at, _num, _pct, _table, _with_ci, csv_rows


def comparison_markdown(report: dict[str, Any]) -> str:
    reports = report["models"]
    head = ["model", "id", "windows"]
    head += [f"{metric} {minutes} min" for metric in ("RMSE", "MAE") for minutes in KEY_MINUTES]
    head += ["RMSE 60 min / persistence"]
    head += [f"{band} % band at {minutes} min" for band in ("50", "90") for minutes in KEY_MINUTES]
    rows = [_row(one["name"], one) for one in reports]
    parts = [
        "Models side by side on the same windows (mg/dL; coverage in %; the ratio's "
        "95 % bootstrap interval is over sources, per model):",
        "",
        *_table(head, rows),
    ]
    if report.get("differences"):
        parts += ["", *_differences(reports[0], report["differences"])]
    return "\n".join(parts)


def _differences(first: dict[str, Any], differences: list[dict[str, Any]]) -> list[str]:
    """Each model minus the first, with the paired 95 % bootstrap interval."""
    steps = [_at(first, minutes) for minutes in KEY_MINUTES]
    head = ["model - " + str(differences[0]["against"])]
    head += [f"{name} {minutes} min" for name in ("RMSE", "MAE") for minutes in KEY_MINUTES]
    head += [f"90 % band {minutes} min (points)" for minutes in KEY_MINUTES]
    rows = []
    for entry in differences:
        cells = [str(entry["model"])]
        for measure, scale in (("rmse", 1.0), ("mae", 1.0), ("coverage_90", 100.0)):
            bounds = entry.get(f"{measure}_ci")
            for step in steps:
                value = entry[measure][step] * scale
                ci = None if bounds is None else [b * scale for b in bounds[step]]
                cells.append(_with_ci(value, ci, 1))
        rows.append(cells)
    intro = (
        "Differences to the first model (negative RMSE and MAE: better; 95 % paired "
        "bootstrap interval over sources, none with one source):"
    )
    return [intro, "", *_table(head, rows)]


def _row(name: str, report: dict[str, Any]) -> list[str]:
    pooled = report["pooled"]
    metrics = pooled["metrics"]["model"]
    steps = [_at(report, minutes) for minutes in KEY_MINUTES]
    cells = [name, str(report.get("model", {}).get("model", "?")), str(pooled["windows"])]
    cells += [_num(metrics[metric][s]) for metric in ("rmse", "mae") for s in steps]
    last = _at(report, 60)
    ratio = pooled["ratio_to_persistence"]["model"]["rmse"][last]
    interval = (pooled.get("ratio_ci") or {}).get("model", {}).get("rmse")
    cells.append(_with_ci(ratio, interval[last] if interval else None))
    coverage = pooled["coverage"]
    cells += [_pct(coverage[band][s]) for band in ("50", "90") for s in steps]
    return cells


def comparison_csv_rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The header, each model's rows (csv_rows, led by its name), then each
    difference to the first per horizon: source "pooled", metric
    `<measure>_minus_<first>`, with the paired interval where there is one."""
    yield ("model", *CSV_HEADER)
    for one in report["models"]:
        rows = csv_rows(one)
        next(rows)  # its own header
        yield from ((one["name"], *row) for row in rows)
    minutes = report["models"][0]["horizons_min"]
    for entry in report.get("differences") or []:
        metric = f"_minus_{entry['against']}"
        for measure in (key for key in entry if f"{key}_ci" in entry):
            bounds = entry[f"{measure}_ci"]
            for step, value in enumerate(entry[measure]):
                low, high = bounds[step] if bounds else (None, None)
                row = ("pooled", "all", "model", measure + metric, minutes[step], value, low, high)
                yield (entry["model"], *row)
