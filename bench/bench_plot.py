"""What a researcher waits for: `glurpc plot` end to end, cold and cached, and
`--all` throughput with one and two render processes.

Prints, side by side in one run, with the shipped default model on this machine:
- the floor of a click CLI (`import click, msgpack` in the same interpreter);
- cold `glurpc plot FILE --index 3` (parse, forecast, render) on fresh uploads;
- cached `glurpc plot FILE --index 3` (the same command again);
- `glurpc plot FILE --all -o DIR` plots per second, daemon with 1 and 2 render
  workers (forecasts precomputed first, so this measures the plot path).
Targets (reported, never asserted): cached <= 1.5x the floor.

Usage: .venv/bin/python -m bench.bench_plot [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.integration.daemons import launch
from tests.integration.samples import cgm_csv

PYTHON = sys.executable
GLURPC = str(Path(PYTHON).with_name("glurpc"))


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.1f} ms"


def plot_times(base: Path, socket: Path, repeat: int, env: dict[str, str]):
    cold, cached = [], []
    for seed in range(repeat):
        upload = base / f"cgm{seed}.csv"
        upload.write_bytes(cgm_csv(hours=18, seed=100 + seed))
        argv = [
            GLURPC,
            "--socket",
            str(socket),
            "--no-autostart",
            "plot",
            str(upload),
            "--index",
            "3",
            "-o",
            str(base / f"out{seed}.png"),
        ]
        cold.append(timed(argv, env))
        cached.extend(timed(argv, env) for _ in range(3))
    return cold, cached


def all_windows_rate(base: Path, workers: int, env: dict[str, str]) -> float:
    run = base / f"all-{workers}"
    daemon = launch(
        run / "s.sock", run / "state", "--render-workers", str(workers), "--precompute-hours", "0"
    )
    try:
        upload = run / "cgm.csv"
        upload.write_bytes(cgm_csv(hours=18, seed=7))
        with daemon.connect() as conn:
            processed = conn.call("process", {"csv": upload.read_bytes()})["data"]
            for index in range(processed["samples"]):  # forecasts first: time the plots
                conn.call("forecast", {"handle": processed["handle"], "index": -index})
        elapsed = timed(
            [
                GLURPC,
                "--socket",
                str(daemon.socket),
                "--no-autostart",
                "plot",
                str(upload),
                "--all",
                "-o",
                f"{run / 'out'}/",  # a directory for many images: the trailing slash makes it
                "--jobs",
                "4",
            ],
            env,
        )
        return processed["samples"] / elapsed
    finally:
        daemon.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    # An installed package has its bytecode; this environment may forbid writing it.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    floor = [timed([PYTHON, "-c", "import click, msgpack"], env) for _ in range(10)]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        daemon = launch(base / "run" / "s.sock", base / "state", "--precompute-hours", "0")
        try:
            cold, cached = plot_times(base, daemon.socket, args.repeat, env)
        finally:
            daemon.stop()
        rates = {workers: all_windows_rate(base, workers, env) for workers in (1, 2)}
    print(f"floor: python -c 'import click, msgpack' {median_ms(floor)}")
    print(f"cold   glurpc plot FILE --index 3        {median_ms(cold)}")
    print(
        f"cached glurpc plot FILE --index 3        {median_ms(cached)}  "
        f"({statistics.median(cached) / statistics.median(floor):.2f}x the floor; target 1.5x)"
    )
    for workers, rate in rates.items():
        print(f"glurpc plot --all, {workers} render worker(s): {rate:6.1f} plots/s")


if __name__ == "__main__":
    main()
