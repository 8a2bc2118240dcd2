"""A cohort's windows per second on this machine: the daemon path against the
Ray engine on a local cluster, on the same seeded exports.

Writes N seeded exports (tests/support/cohort.py; alternating Dexcom and Libre,
10 h each: 13 windows a file) and runs, with the shipped default model:
- daemon: `glurpc plot FILES --all -o DIR --jobs 2` against a fresh daemon
  (2 render processes, no background precompute);
- ray plot: `glurpc plot FILES --all -o DIR --engine ray` (the CLI starts a
  local cluster: all cores, one model actor here);
- ray numbers: `glurpc forecast FILES --all --engine ray` (no rendering: the
  model actor's rate, the figure docs/SCALING.md scales from).
Wall times include start-up (the daemon's, Ray's); the Ray runs' own summary
line gives the rate from the first job submission. The two image folders are
compared byte for byte. Nothing is asserted.

Usage: .venv/bin/python -m bench.bench_cohort [--files 50] [--hours 10]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.integration.daemons import launch
from tests.support.cohort import write_cohort

GLURPC = str(Path(sys.executable).with_name("glurpc"))
SUMMARY = re.compile(r"(\d+) windows in ([\d.]+) s \(([\d.]+) windows/s")


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    run = subprocess.run(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({run.returncode}):\n{run.stderr}")
    return elapsed, run.stderr


def in_run_rate(stderr: str) -> str:
    found = SUMMARY.search(stderr)
    return f"{float(found.group(3)):.1f}/s over {found.group(2)} s" if found else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--hours", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glurpc-bc-", dir="/tmp") as folder:
        base = Path(folder)
        files = [str(p) for p in write_cohort(base / "in", args.files, args.hours, seed=1)]
        daemon = launch(
            base / "d.sock", base / "state", "--render-workers", "2", "--precompute-hours", "0"
        )
        env = {**os.environ, "GLURPC_SOCKET": str(daemon.socket), "GLURPC_NO_AUTOSTART": "1"}
        try:
            local_s, _ = timed(
                [GLURPC, "plot", *files, "--all", "-o", f"{base / 'd'}/", "-j", "2"], env
            )
        finally:
            daemon.stop()
        ray_s, ray_err = timed(
            [GLURPC, "plot", *files, "--all", "-o", f"{base / 'r'}/", "--engine", "ray"], env
        )
        numbers_s, numbers_err = timed(
            [GLURPC, "forecast", *files, "--all", "--engine", "ray"], env
        )
        local = {p.name: p.read_bytes() for p in (base / "d").iterdir()}
        remote = {p.name: p.read_bytes() for p in (base / "r").iterdir()}
    windows = len(local)
    print(
        f"cohort: {args.files} files x {args.hours:g} h, {windows} windows, {os.cpu_count()} cores"
    )
    print(f"daemon plot --all -j 2     {local_s:7.1f} s  {windows / local_s:6.1f} windows/s")
    print(
        f"ray plot --all             {ray_s:7.1f} s  {windows / ray_s:6.1f} windows/s"
        f"  (in run: {in_run_rate(ray_err)})"
    )
    print(
        f"ray forecast --all         {numbers_s:7.1f} s  {windows / numbers_s:6.1f} windows/s"
        f"  (in run: {in_run_rate(numbers_err)})"
    )
    same = local == remote
    print(f"images identical: {'yes' if same else 'NO'} ({len(remote)} from Ray)")


if __name__ == "__main__":
    main()
