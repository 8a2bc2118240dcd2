"""float32 against bfloat16 autocast (`glurpcd --precision bf16`): speed and how
far bf16 moves the forecasts, on this machine.

The job is bench_model's: all 110 windows of an 18-hour series x 10 samples, with
the shipped default model and the published-size model (random weights). Each
precision is timed `--repeats` times after one warm-up pass; the best time is
reported with the 1-minute load average, since the machine may be shared. The
forecast change is the largest and the mean absolute difference of the median
and of the 5 % / 95 % quantiles, in mg/dL, over all windows and steps.

    .venv/bin/python -m bench.bench_precision [--device cpu] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from glurpc_core.forecast import WindowForecast
from glurpc_core.model import Forecaster
from glurpc_core.model.resolve import SHIPPED_DEFAULT
from tests.support.checkpoints import save_random_checkpoint

from .bench_model import eighteen_hours


def timed(forecaster: Forecaster, repeats: int) -> tuple[float, dict[int, WindowForecast]]:
    series = eighteen_hours()
    low, _ = series.index_range()
    indices = list(range(low, 1))
    forecaster.forecast(series, indices[:8])  # warm-up: allocator and kernels
    best, out = float("inf"), {}
    for _ in range(repeats):
        began = time.perf_counter()
        out = forecaster.forecast(series, indices)
        best = min(best, time.perf_counter() - began)
    return best, out


def difference(a: dict[int, WindowForecast], b: dict[int, WindowForecast]) -> dict[str, float]:
    out = {}
    for name, rows in {"median": [2], "q05_q95": [0, 4]}.items():
        gap = np.abs(
            np.stack([a[i].quantiles[rows] for i in a])
            - np.stack([b[i].quantiles[rows] for i in a])
        )
        out[f"{name}_max_mg_dl"] = round(float(gap.max()), 3)
        out[f"{name}_mean_mg_dl"] = round(float(gap.mean()), 4)
    return out


def compare(path: Path, device: str, repeats: int) -> dict[str, object]:
    result: dict[str, object] = {"model": path.name}
    forecasts = {}
    seconds = {}
    for precision in ("float32", "bf16"):
        forecaster = Forecaster(path, source="explicit", device=device, precision=precision)
        seconds[precision], forecasts[precision] = timed(forecaster, repeats)
        result[f"{precision}_s"] = round(seconds[precision], 3)
    result["speedup"] = round(seconds["float32"] / seconds["bf16"], 2)
    result.update(difference(forecasts["float32"], forecasts["bf16"]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        published = save_random_checkpoint(Path(folder) / "random_published_weights.pth", seed=3)
        for path in (SHIPPED_DEFAULT, published):
            report = compare(Path(path), args.device, args.repeats)
            report["load_1min"] = round(os.getloadavg()[0], 2)
            print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
