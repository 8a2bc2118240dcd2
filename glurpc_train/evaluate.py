"""Accuracy on held-out series against naive baselines (pure compute; used by the
training script and docs/MODEL.md; never imported by the daemon).

For every window with a known future: the served forecast (the median of the
MC-dropout mixture, 10 samples, seed 0), persistence (the last value held), and
linear extrapolation (a least-squares line through the last 30 minutes). Errors in
mg/dL at 5 minutes (step 1, where a model that misreads the current level shows it),
30 minutes (step 6) and 60 minutes (step 12), pooled over all windows, and how often
the truth falls inside the model's 90 % and 50 % bands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glurpcd.forecast import QUANTILE_LEVELS, WindowForecast
from glurpcd.model.forecaster import Forecaster
from glurpcd.series import INPUT_STEPS, OUTPUT_STEPS, CgmSeries

HORIZONS = {"5min": 1, "30min": 6, "60min": 12}
LINE_POINTS = 6  # 30 minutes of history for the linear baseline


def baselines(history: np.ndarray) -> dict[str, np.ndarray]:
    """Persistence and linear extrapolation for histories [W, 96] -> [W, 12] each."""
    last = history[:, -1:]
    x = np.arange(LINE_POINTS, dtype=np.float64) - (LINE_POINTS - 1)
    recent = history[:, -LINE_POINTS:].astype(np.float64)
    slope = ((recent - recent.mean(1, keepdims=True)) * (x - x.mean())).sum(1) / (
        (x - x.mean()) ** 2
    ).sum()
    intercept = recent.mean(1) - slope * x.mean()  # value of the line at the last point
    ahead = np.arange(1, OUTPUT_STEPS + 1)
    return {
        "persistence": np.repeat(last, OUTPUT_STEPS, axis=1),
        "linear": intercept[:, None] + slope[:, None] * ahead,
    }


def errors(prediction: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    out = {}
    for name, step in HORIZONS.items():
        diff = prediction[:, step - 1] - truth[:, step - 1]
        out[f"rmse_{name}"] = float(np.sqrt(np.mean(diff**2)))
        out[f"mae_{name}"] = float(np.mean(np.abs(diff)))
    return out


def coverage(quantiles: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """Share of true values inside the 5-95 % and 25-75 % bands ([W, 5, 12] quantiles):
    0.90 and 0.50 for a calibrated fan."""
    out = {}
    for band, (low, high) in {"90": (0.05, 0.95), "50": (0.25, 0.75)}.items():
        lower = quantiles[:, QUANTILE_LEVELS.index(low)]
        upper = quantiles[:, QUANTILE_LEVELS.index(high)]
        inside = (truth >= lower) & (truth <= upper)
        for name, step in HORIZONS.items():
            out[f"coverage_{band}_{name}"] = float(inside[:, step - 1].mean())
    return out


def held_out_table(model_path: Path, series_list: list[CgmSeries]) -> dict[str, dict]:
    """{"model"|"persistence"|"linear": {rmse_30min, mae_30min, ...}, "windows": n};
    the model's entry also has the coverage of its uncertainty bands."""
    forecaster = Forecaster(Path(model_path), source="explicit", samples=10, seed=0)
    ordered: list[WindowForecast] = []
    for series in series_list:
        low, _ = series.index_range()
        results = forecaster.forecast(series, list(range(low, 1)))
        ordered += [results[index] for index in sorted(results)]
    history = np.stack([w.history for w in ordered])
    assert history.shape[1] == INPUT_STEPS
    truth = np.stack([w.truth for w in ordered])
    table: dict[str, dict] = {
        "model": {
            **errors(np.stack([w.median for w in ordered]), truth),
            **coverage(np.stack([w.quantiles for w in ordered]), truth),
        }
    }
    for name, prediction in baselines(history).items():
        table[name] = errors(prediction, truth)
    table["windows"] = {"count": len(truth)}
    return table


def main() -> None:
    """Re-measure a trained bundle on the held-out patients of a simulate.py file."""
    import argparse
    import json

    from .data import load_traces, split

    parser = argparse.ArgumentParser(description="Held-out accuracy table of a model")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    traces = load_traces(args.data)
    _, _, held = split(traces)
    print(json.dumps(held_out_table(args.model, [traces[name] for name in held]), indent=1))


if __name__ == "__main__":
    main()
