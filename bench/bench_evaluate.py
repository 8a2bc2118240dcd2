"""What `glurpc evaluate` costs beyond the forecasts it scores, through the
real CLI and daemon (shipped default model).

Two seeded cohorts of the same shape (`--files` Dexcom exports of `--days`
each), so no cache helps the cold runs:
- reference point: `glurpc forecast FILE --all` over cohort A, file by file
  (the bulk path evaluate uses);
- `glurpc evaluate` over cohort B, cold: the same forecasts plus the scores;
- `glurpc evaluate` over cohort B again under other labels: every forecast
  cached, the scores computed anew (reading the forecasts back, the personal
  AR, grids, bootstrap);
- the same command again: the cached report.
Reported, never asserted: the cold evaluate against the forecasts alone.

    .venv/bin/python -m bench.bench_evaluate [--files 3] [--days 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.integration.daemons import QUIET, launch
from tests.integration.samples import cgm_csv


def cli(socket: Path, cwd: Path, *args: str) -> float:
    command = [sys.executable, "-m", "glurpc_cli", "--socket", str(socket), "--no-autostart"]
    began = time.perf_counter()
    subprocess.run([*command, *args], check=True, stdout=subprocess.DEVNULL, cwd=cwd)
    return time.perf_counter() - began


def cohort(folder: Path, files: int, days: float, seed: int) -> list[str]:
    folder.mkdir(parents=True)
    names = []
    for number in range(files):
        path = folder / f"p{number}.csv"
        path.write_bytes(cgm_csv(hours=days * 24, seed=seed + number))
        names.append(path.name)
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--days", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glurpc-evaluate-", dir="/tmp") as scratch:
        base = Path(scratch)
        first = cohort(base / "a", args.files, args.days, seed=100)
        second = cohort(base / "b", args.files, args.days, seed=200)
        daemon = launch(base / "run" / "glurpcd.sock", base / "state", *QUIET)
        try:
            socket = daemon.socket
            forecast_s = sum(cli(socket, base / "a", "forecast", n, "--all") for n in first)
            cold_s = cli(socket, base / "b", "evaluate", *second)
            relabelled = [f"./{name}" for name in second]  # new labels: the scores again
            scores_s = cli(socket, base / "b", "evaluate", *relabelled)
            cached_s = cli(socket, base / "b", "evaluate", *relabelled)
        finally:
            daemon.stop()
    row = {
        "files": args.files,
        "days_each": args.days,
        "forecast_all_s": round(forecast_s, 2),
        "evaluate_cold_s": round(cold_s, 2),
        "evaluate_vs_forecast_all": round(cold_s / forecast_s, 2),
        "evaluate_forecasts_cached_s": round(scores_s, 2),
        "evaluate_report_cached_s": round(cached_s, 2),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
