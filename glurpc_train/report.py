"""The issue's targets checked on an evaluation result, and the result as Markdown
tables for docs/MODEL.md and the README (pure formatting; evaluation only)."""

from __future__ import annotations

from typing import Any

from glurpc_core.evaluation.metrics import HORIZONS, RANGES

STEP_30, STEP_60 = HORIZONS["30min"] - 1, HORIZONS["60min"] - 1
# A range with fewer windows is reported but not judged: a single event decides it.
JUDGED_RANGE_WINDOWS = 50
NAMES = {
    "model": "Gluformer (median of the served mixture)",
    "persistence": "persistence (last value)",
    "linear": "linear extrapolation (30 min)",
    "ar": "AR(6), fitted on training subjects",
}


def targets(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each target: {"met": bool, "value": ..., "goal": str}."""
    ratio = result["accuracy"]["model"]["ratio_to_persistence"]
    model_ranges, flat_ranges = result["by_range"]["model"], result["by_range"]["persistence"]
    worst = max(
        (model_ranges[r][f"rmse_{h}"] / flat_ranges[r][f"rmse_{h}"], f"{r} at {h}")
        for r in RANGES
        if model_ranges[r]["windows"] >= JUDGED_RANGE_WINDOWS
        for h in ("30min", "60min")
    )
    c90, c50 = result["coverage"]["90"], result["coverage"]["50"]
    return {
        "rmse_30min": {
            "met": ratio[STEP_30] <= 0.90,
            "value": round(ratio[STEP_30], 3),
            "goal": "<= 0.90",
        },
        "rmse_60min": {
            "met": ratio[STEP_60] <= 0.85,
            "value": round(ratio[STEP_60], 3),
            "goal": "<= 0.85",
        },
        "worst_range": {
            "met": worst[0] <= 1.05,
            "value": [round(worst[0], 3), worst[1]],
            "goal": f"<= 1.05 (ranges with >= {JUDGED_RANGE_WINDOWS} windows)",
        },
        "coverage_90": {
            "met": all(0.85 <= c <= 0.95 for c in c90),
            "value": [round(min(c90), 3), round(max(c90), 3)],
            "goal": "0.85-0.95 at every step",
        },
        "coverage_50": {
            "met": all(0.45 <= c <= 0.55 for c in c50),
            "value": [round(min(c50), 3), round(max(c50), 3)],
            "goal": "0.45-0.55 at every step",
        },
    }


def _with_ci(value: float, bounds: list[float], digits: int = 1) -> str:
    return f"{value:.{digits}f} [{bounds[0]:.{digits}f}, {bounds[1]:.{digits}f}]"


def accuracy_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| forecaster | RMSE 5 min | RMSE 30 min | RMSE 60 min | vs persistence 30 min "
        "| vs persistence 60 min |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in result["accuracy"].items():
        rmse, ratio = entry["rmse"], entry["ratio_to_persistence"]
        cells = [f"{rmse[0]:.1f}"]
        cells += [_with_ci(rmse[s], entry["rmse_ci"][s]) for s in (STEP_30, STEP_60)]
        cells += [_with_ci(ratio[s], entry["ratio_ci"][s], 2) for s in (STEP_30, STEP_60)]
        lines.append(f"| {NAMES[name]} | {' | '.join(cells)} |")
    return lines


def range_table(result: dict[str, Any]) -> list[str]:
    lines = [
        "| last reading (mg/dL) | windows | model bias 30 / 60 | model RMSE 30 / 60 "
        "| persistence RMSE 30 / 60 | AR RMSE 30 / 60 | model 90 % band 30 / 60 |",
        "|---|---|---|---|---|---|---|",
    ]
    ranges = result["by_range"]
    for name in RANGES:
        model = ranges["model"][name]
        if not model["windows"]:
            lines.append(f"| {name} | 0 | | | | | |")
            continue

        def pair(entry: dict[str, float], key: str, scale: float = 1.0) -> str:
            return f"{entry[f'{key}_30min'] * scale:.1f} / {entry[f'{key}_60min'] * scale:.1f}"

        cells = [
            str(model["windows"]),
            pair(model, "bias"),
            pair(model, "rmse"),
            pair(ranges["persistence"][name], "rmse"),
            pair(ranges["ar"][name], "rmse"),
            pair(model, "coverage90", 100.0).replace(" / ", " % / ") + " %",
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return lines


def coverage_table(result: dict[str, Any]) -> list[str]:
    c90, c50 = result["coverage"]["90"], result["coverage"]["50"]
    minutes = [f"{5 * (step + 1)}" for step in range(len(c90))]
    return [
        f"| band | {' | '.join(minutes)} |",
        "|---" * (len(minutes) + 1) + "|",
        f"| 90 % | {' | '.join(f'{100 * c:.0f}' for c in c90)} |",
        f"| 50 % | {' | '.join(f'{100 * c:.0f}' for c in c50)} |",
    ]


def target_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    for name, target in result["targets"].items():
        verdict = "met" if target["met"] else "MISSED"
        lines.append(f"- {name}: {verdict} ({target['value']}; goal {target['goal']})")
    return lines


def markdown(result: dict[str, Any]) -> str:
    head = (
        f"Model {result['model_id']}, calibration {result['calibration']}; "
        f"{result['windows']} windows of subjects {', '.join(result['subjects'])}. "
        "RMSE in mg/dL with 95 % bootstrap intervals over subjects."
    )
    parts = [
        [head],
        accuracy_table(result),
        range_table(result),
        ["Band coverage (%) at each horizon (minutes):"],
        coverage_table(result),
        target_lines(result),
    ]
    return "\n\n".join("\n".join(part) for part in parts)
