"""What personal adaptation costs: `--adapt none` (the path before adaptation) against
the default `personal-ar`, in one daemon, in alternating order, each on a fresh
export so no cache helps:
- a cold `glurpc quick-plot` of a new 14-day export;
- `glurpc forecast FILE --index 0..109` of a new 90-day export.
Targets (reported, never asserted): quick-plot <= 1.5x, forecast <= 1.2x.

    .venv/bin/python -m bench.bench_adapt [--rounds 8] [--published]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
from pathlib import Path

from bench.bench_bulk import cli
from tests.integration.daemons import launch
from tests.integration.samples import cgm_csv
from tests.support.checkpoints import save_random_checkpoint

CHOICES = ("none", "personal-ar")


def measure(base: Path, model: Path | None, rounds: int) -> dict:
    extra = ["--precompute-hours", "0", "--device", "cpu"]
    if model is not None:
        extra += ["--model", str(model)]
    daemon = launch(base / "run" / "glurpcd.sock", base / "state", *extra)
    seconds: dict[str, dict[str, list[float]]] = {c: {"quick": [], "bulk": []} for c in CHOICES}
    try:
        for r in range(rounds):
            for k, adapt in enumerate(CHOICES if r % 2 == 0 else CHOICES[::-1]):
                fresh = base / f"two_weeks_{r}_{k}.csv"
                fresh.write_bytes(cgm_csv(hours=14 * 24, seed=100 + 10 * r + k))
                image = str(base / "quick.png")
                quick = cli(daemon.socket, "quick-plot", str(fresh), "-o", image, "--adapt", adapt)
                seconds[adapt]["quick"].append(quick)
                fresh = base / f"ninety_days_{r}_{k}.csv"
                fresh.write_bytes(cgm_csv(hours=90 * 24, seed=500 + 10 * r + k))
                bulk = cli(
                    daemon.socket, "forecast", str(fresh), "--index", "0..109", "--adapt", adapt
                )
                seconds[adapt]["bulk"].append(bulk)
    finally:
        daemon.stop()
    median = {c: {job: statistics.median(v) for job, v in seconds[c].items()} for c in CHOICES}
    return {
        "median_s": median,
        "quick_plot_ratio": round(median["personal-ar"]["quick"] / median["none"]["quick"], 2),
        "forecast_110_ratio": round(median["personal-ar"]["bulk"] / median["none"]["bulk"], 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--published", action="store_true", help="published-size random weights")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glurpc-adapt-", dir="/tmp") as scratch:
        base = Path(scratch)
        model = save_random_checkpoint(base / "published.pth", seed=3) if args.published else None
        print(json.dumps(measure(base, model, args.rounds)))


if __name__ == "__main__":
    main()
