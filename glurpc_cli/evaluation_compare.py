"""Several models' `evaluate` reports side by side (pure formatting).

Each model's report is the daemon's own (its bootstrap intervals are over
sources, per model); this table puts their pooled headline numbers in one
place: RMSE and MAE at 30 and 60 minutes, the ratio of RMSE at 60 minutes to
persistence with its interval, and band coverage. Intervals on the
differences between models are not computed here (that needs the windows,
which stay in the daemon).
"""

from __future__ import annotations

from typing import Any

from .evaluation_view import KEY_MINUTES, _at, _num, _pct, _table, _with_ci


def comparison_markdown(names: list[str], reports: list[dict[str, Any]]) -> str:
    head = ["model", "id", "windows"]
    head += [f"{metric} {minutes} min" for metric in ("RMSE", "MAE") for minutes in KEY_MINUTES]
    head += ["RMSE 60 min / persistence"]
    head += [f"{band} % band at {minutes} min" for band in ("50", "90") for minutes in KEY_MINUTES]
    rows = [_row(name, report) for name, report in zip(names, reports, strict=True)]
    intro = (
        "Models side by side on the same windows (mg/dL; coverage in %; the ratio's "
        "95 % bootstrap interval is over sources, per model):"
    )
    return "\n".join([intro, "", *_table(head, rows)])


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
