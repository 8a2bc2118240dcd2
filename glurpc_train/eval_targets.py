"""Issue 22's targets checked on `glurpc evaluate --json` reports (evaluation
only: it reads numbers, never chooses anything).

    glurpc evaluate OUTDIR/hall_test/*.csv --json > hall.json
    .venv/bin/python -m glurpc_train.eval_targets hall.json

Prints one Markdown line per target: met or MISSED, the value and the goal.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

SUBJECT_CEILING = 1.03
HIGH_RANGES = ("180-250", ">250")


def _step(report: dict[str, Any], minutes: int) -> int:
    return int(report["horizons_min"].index(minutes))


def high_bias(pooled: dict[str, Any], forecaster: str, step: int) -> float | None:
    """Mean error over the points whose truth is 180 mg/dL or more at `step`."""
    total, weighted = 0, 0.0
    for name in HIGH_RANGES:
        entry = pooled["by_range"][name]
        count, bias = entry["points"][step], entry["bias"][forecaster][step]
        if count and bias is not None:
            total += count
            weighted += count * bias
    return weighted / total if total else None


def targets(report: dict[str, Any]) -> list[tuple[str, bool, str, str]]:
    """(target, met, value, goal) for each of issue 22's targets."""
    pooled = report["pooled"]
    ratio = pooled["ratio_to_persistence"]["model"]["rmse"]
    s30, s60 = _step(report, 30), _step(report, 60)
    worst = max(
        (source["ratio_to_persistence"]["model"]["rmse"][s], source["label"], minutes)
        for source in report["sources"]
        for minutes, s in ((30, s30), (60, s60))
    )
    out = [
        ("RMSE vs persistence, 30 min", ratio[s30] <= 0.90, f"{ratio[s30]:.3f}", "<= 0.90"),
        ("RMSE vs persistence, 60 min", ratio[s60] <= 0.85, f"{ratio[s60]:.3f}", "<= 0.85"),
        (
            "worst source vs persistence (30, 60 min)",
            worst[0] <= SUBJECT_CEILING,
            f"{worst[0]:.3f} ({worst[1]}, {worst[2]} min)",
            f"<= {SUBJECT_CEILING}",
        ),
    ]
    for band, low, high in (("90", 0.85, 0.95), ("50", 0.45, 0.55)):
        shares = pooled["coverage"][band]
        met = all(low <= share <= high for share in shares)
        value = f"{100 * min(shares):.1f}-{100 * max(shares):.1f} %"
        out.append((f"{band} % band coverage, every horizon", met, value, f"{low:.0%}-{high:.0%}"))
    model = [high_bias(pooled, "model", s) for s in range(len(report["horizons_min"]))]
    flat = [high_bias(pooled, "persistence", s) for s in range(len(report["horizons_min"]))]
    pairs = [(m, f) for m, f in zip(model, flat, strict=True) if m is not None and f is not None]
    if pairs:
        met = all(abs(m) <= abs(f) for m, f in pairs)
        value = "; ".join(
            f"{minutes} min {model[s]:.1f} vs {flat[s]:.1f}"
            for minutes, s in ((30, s30), (60, s60))
            if model[s] is not None and flat[s] is not None
        )
        out.append(
            ("mean error for truth >= 180, every horizon", met, value, "|model| <= |persistence|")
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="Issue 22's targets on evaluate reports")
    parser.add_argument("reports", nargs="+", type=Path, help="glurpc evaluate --json outputs")
    for path in parser.parse_args().reports:
        print(f"{path}:")
        for name, met, value, goal in targets(json.loads(path.read_text())):
            print(f"- {name}: {'met' if met else 'MISSED'} ({value}; goal {goal})")


if __name__ == "__main__":
    main()
