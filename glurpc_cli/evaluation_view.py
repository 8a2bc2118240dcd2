"""The `evaluate` report as Markdown tables or tidy CSV rows (pure formatting:
no numpy, nothing computed beyond rounding).

Markdown: the pooled numbers at every horizon, the ratios to persistence with
their bootstrap intervals, band coverage, the ranges of the truth, the error
grids, then one line per source. CSV: one row per number, with columns
source, range, forecaster, metric, horizon_min, value, ci_low, ci_high.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

NAMES = {
    "model": "served model",
    "persistence": "persistence",
    "linear": "linear extrapolation (30 min)",
    "personal_ar": "personal AR(6), own earlier data",
}
CSV_HEADER = (
    "source", "range", "forecaster", "metric", "horizon_min", "value", "ci_low", "ci_high",
)  # fmt: skip
KEY_MINUTES = (30, 60)


def _num(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}"


def _row(cells: list[str]) -> str:
    return f"| {' | '.join(cells)} |"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [_row(head), _row(["---"] * len(head)), *(_row(r) for r in rows)]


def _at(report: dict[str, Any], minutes: int) -> int:
    return int(report["horizons_min"].index(minutes))


def _with_ci(value: float | None, bounds: list[float] | None, digits: int = 2) -> str:
    if bounds is None:
        return _num(value, digits)
    return f"{_num(value, digits)} [{_num(bounds[0], digits)}, {_num(bounds[1], digits)}]"


def markdown(report: dict[str, Any]) -> str:
    pooled = report["pooled"]
    model = report.get("model", {})
    head = (
        f"Model {model.get('model', '?')} (calibration {model.get('calibration', '?')}, "
        f"{model.get('samples', '?')} samples, seed {model.get('seed', '?')}); "
        f"{pooled['windows']} windows of {len(report['sources'])} source(s); mg/dL. "
        f"Personal AR fitted for {_pct(report['personal_ar']['fitted_share'])} % of windows "
        "(persistence before a day of own data)."
    )
    parts = [[head]]
    for metric, title in (("rmse", "RMSE"), ("mae", "MAE"), ("mard", "MARD (%)")):
        parts.append([f"Pooled {title} by horizon (minutes):"])
        parts.append(_by_horizon(report, metric))
    parts += [["Ratio to persistence, pooled (95 % bootstrap interval over sources):"]]
    parts += [_ratios(report), ["Band coverage (%) by horizon (minutes):"], _coverage(report)]
    parts += [["By range of the truth at 30 / 60 minutes (bias = forecast - truth):"]]
    parts += [_ranges(report)]
    parts += [["Error-grid zones of the pooled forecasts (% of windows):"], _grids(report)]
    parts += [["Per source:"], _per_source(report)]
    return "\n\n".join("\n".join(part) for part in parts)


def _by_horizon(report: dict[str, Any], metric: str) -> list[str]:
    pooled = report["pooled"]
    rows = [
        [NAMES[name], *(_num(v) for v in pooled["metrics"][name][metric])]
        for name in report["forecasters"]
    ]
    return _table(["forecaster", *map(str, report["horizons_min"])], rows)


def _ratios(report: dict[str, Any]) -> list[str]:
    pooled = report["pooled"]
    cis = pooled.get("ratio_ci") or {}
    rows = []
    for name in report["forecasters"]:
        cells = [NAMES[name]]
        for metric in ("rmse", "mae"):
            for minutes in KEY_MINUTES:
                step = _at(report, minutes)
                ci = cis.get(name, {}).get(metric)
                value = pooled["ratio_to_persistence"][name][metric][step]
                cells.append(_with_ci(value, ci[step] if ci else None))
        rows.append(cells)
    head = ["forecaster", "RMSE 30 min", "RMSE 60 min", "MAE 30 min", "MAE 60 min"]
    return _table(head, rows)


def _coverage(report: dict[str, Any]) -> list[str]:
    coverage = report["pooled"]["coverage"]
    rows = [[f"{band} %", *(_pct(v) for v in coverage[band])] for band in ("50", "90")]
    return _table(["band", *map(str, report["horizons_min"])], rows)


def _ranges(report: dict[str, Any]) -> list[str]:
    rows = []
    steps = [_at(report, minutes) for minutes in KEY_MINUTES]
    for name in report["ranges"]:
        entry = report["pooled"]["by_range"][name]

        def pair(values: list[float | None], fmt: Any = _num) -> str:
            return " / ".join(fmt(values[s]) for s in steps)  # noqa: B023

        rows.append(
            [
                name,
                pair(entry["points"], str),
                pair(entry["bias"]["model"]),
                pair(entry["bias"]["persistence"]),
                pair(entry["rmse"]["model"]),
                pair(entry["rmse"]["persistence"]),
                pair(entry["rmse"]["personal_ar"]),
                pair(entry["coverage"]["90"], _pct),
                pair(entry["coverage"]["50"], _pct),
            ]
        )
    head = [
        "truth (mg/dL)", "points 30 / 60 min", "model bias", "persistence bias", "model RMSE",
        "persistence RMSE", "personal AR RMSE", "model 90 % band (%)", "model 50 % band (%)",
    ]  # fmt: skip
    return _table(head, rows)


def _grids(report: dict[str, Any]) -> list[str]:
    grids = report["pooled"]["grids"]
    rows = []
    for grid in ("clarke", "parkes"):
        for minutes, by_name in grids[grid].items():
            for name in report["forecasters"]:
                shares = by_name[name]
                rows.append([grid, minutes, NAMES[name], *(_pct(v) for v in shares.values())])
    return _table(["grid", "minutes", "forecaster", "A", "B", "C", "D", "E"], rows)


def _per_source(report: dict[str, Any]) -> list[str]:
    rows = []
    steps = [_at(report, minutes) for minutes in KEY_MINUTES]
    for source in report["sources"]:
        metrics, ratios = source["metrics"], source["ratio_to_persistence"]
        rows.append(
            [
                source["label"],
                str(source["windows"]),
                " / ".join(_num(metrics["model"]["rmse"][s]) for s in steps),
                " / ".join(_num(metrics["persistence"]["rmse"][s]) for s in steps),
                " / ".join(_num(ratios["model"]["rmse"][s], 2) for s in steps),
                " / ".join(_num(ratios["personal_ar"]["rmse"][s], 2) for s in steps),
                " / ".join(_pct(source["coverage"]["90"][s]) for s in steps),
            ]
        )
    head = [
        "source", "windows", "model RMSE 30 / 60", "persistence RMSE 30 / 60",
        "model vs persistence", "personal AR vs persistence", "model 90 % band (%)",
    ]  # fmt: skip
    return _table(head, rows)


def csv_rows(report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The header, then one row per number of every source and the pool."""
    yield CSV_HEADER
    minutes = report["horizons_min"]
    for group in [*report["sources"], report["pooled"]]:
        yield from _group_rows(group, minutes, report["forecasters"])


def _group_rows(group: dict[str, Any], minutes: list[int], names: list[str]) -> Iterator[tuple]:
    label = group["label"]
    ratio_ci = group.get("ratio_ci") or {}
    rmse_ci = group.get("rmse_ci") or {}

    def series(
        rng: str, name: str, metric: str, values: list, cis: list | None = None
    ) -> Iterator[tuple]:
        for step, value in enumerate(values):
            low, high = cis[step] if cis else (None, None)
            yield (label, rng, name, metric, minutes[step], value, low, high)

    for name in names:
        for metric, values in group["metrics"][name].items():
            cis = rmse_ci.get(name) if metric == "rmse" else None
            yield from series("all", name, metric, values, cis)
        for metric, values in group["ratio_to_persistence"][name].items():
            cis = ratio_ci.get(name, {}).get(metric)
            yield from series("all", name, f"ratio_{metric}", values, cis)
    for band, values in group["coverage"].items():
        yield from series("all", "model", f"coverage{band}", values)
    for rng, entry in group["by_range"].items():
        yield from series(rng, "", "points", entry["points"])
        for metric in ("bias", "rmse"):
            for name, values in entry[metric].items():
                yield from series(rng, name, metric, values)
        for band, values in entry["coverage"].items():
            yield from series(rng, "model", f"coverage{band}", values)
    for grid, by_minutes in group["grids"].items():
        for minute, by_name in by_minutes.items():
            for name, shares in by_name.items():
                for zone, share in shares.items():
                    yield (label, "all", name, f"{grid}_{zone}", int(minute), share, None, None)
