"""A cohort's windows per second on this machine: the daemon path against the
Ray engine, on one node and on three, on the same seeded exports in one run.

Writes N seeded exports (tests/support/cohort.py; alternating Dexcom and Libre,
10 h each: 13 windows a file) and runs, with the shipped default model:
- daemon: `glurpc plot FILES --all -o DIR --jobs 2` against a fresh daemon
  (2 render processes, no background precompute);
- ray plot: `glurpc plot FILES --all -o DIR --engine ray` (the CLI starts a
  local cluster: all cores, one model actor here);
- ray numbers: `glurpc forecast FILES --all --engine ray` (no rendering: the
  model actor's rate, the figure docs/SCALING.md scales from);
- ray 3 nodes: the same plot joined with --ray-address to a head and two
  worker nodes started here (ray.cluster_utils, one CPU each: the laptop
  rehearsal of docs/SCALING.md), cluster start-up not counted.
Wall times include the command's own start-up (the daemon's is not: it is
running before the clock starts); "first" is when the first image or line
came out, the start-up a user waits through. The Ray runs' summary line gives
the rate from the first job submission. Every image folder is compared byte
for byte with the daemon's. Nothing is asserted.

Usage: nice .venv/bin/python -m bench.bench_cohort [--files 50] [--hours 10] [--no-nodes]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.integration.daemons import launch
from tests.support.cohort import write_cohort

GLURPC = str(Path(sys.executable).with_name("glurpc"))
SUMMARY = re.compile(r"(\d+) windows in ([\d.]+) s \(([\d.]+) windows/s")
READY = re.compile(r"cluster ready after ([\d.]+) s")


@dataclass(frozen=True)
class Timing:
    wall_s: float
    first_s: float  # until the first output line
    stderr: str

    def in_run(self) -> str:
        """The Ray run's own figures: its rate once the job was submitted, and
        when its cluster was ready (started or joined), from the driver's first step."""
        found, ready = SUMMARY.search(self.stderr), READY.search(self.stderr)
        rate = f"in run: {float(found.group(3)):.1f}/s over {found.group(2)} s" if found else ""
        return f"{rate}, cluster ready {ready.group(1)} s" if ready else rate


def timed(argv: list[str], env: dict[str, str]) -> Timing:
    start = time.perf_counter()
    first = None
    with subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as run:
        assert run.stdout is not None and run.stderr is not None
        for _ in run.stdout:
            first = first or time.perf_counter() - start
        stderr = run.stderr.read()
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({run.returncode}):\n{stderr}")
    return Timing(elapsed, first or elapsed, stderr)


@contextmanager
def three_nodes(base: Path) -> Iterator[str]:
    """A head and two worker nodes of one CPU each, as the tests start them."""
    from ray.cluster_utils import Cluster

    node = {"num_cpus": 1, "object_store_memory": 200 * 1024 * 1024}
    os.environ["RAY_TMPDIR"] = str(base)  # its sockets and logs stay in this run's folder
    cluster = Cluster(initialize_head=True, head_node_args={**node, "include_dashboard": False})
    try:
        for _ in range(2):
            cluster.add_node(**node)
        cluster.wait_for_nodes()
        yield str(cluster.address)
    finally:
        cluster.shutdown()


def line(name: str, timing: Timing, windows: int, daemon: Timing | None = None) -> str:
    ratio = f"  {timing.wall_s / daemon.wall_s:4.2f}x daemon" if daemon else ""
    return (
        f"{name:28} {timing.wall_s:7.1f} s {windows / timing.wall_s:6.1f} windows/s"
        f"  first {timing.first_s:5.1f} s{ratio}  {timing.in_run()}"
    ).rstrip()


def images(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--hours", type=float, default=10.0)
    parser.add_argument("--no-nodes", action="store_true", help="skip the three-node run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="glurpc-bc-", dir="/tmp") as folder:
        base = Path(folder)
        files = [str(p) for p in write_cohort(base / "in", args.files, args.hours, seed=1)]
        daemon = launch(
            base / "d.sock", base / "state", "--render-workers", "2", "--precompute-hours", "0"
        )
        env = {**os.environ, "GLURPC_SOCKET": str(daemon.socket), "GLURPC_NO_AUTOSTART": "1"}
        plot = [GLURPC, "plot", *files, "--all", "--json", "-o"]
        try:
            local = timed([*plot, f"{base / 'd'}/", "-j", "2"], env)
        finally:
            daemon.stop()
        ray = timed([*plot, f"{base / 'r'}/", "--engine", "ray"], env)
        numbers = timed([GLURPC, "forecast", *files, "--all", "--engine", "ray"], env)
        nodes = None
        if not args.no_nodes:
            with three_nodes(base) as address:
                where = ["--engine", "ray", "--ray-address", address]
                joined = {**os.environ, "GLURPC_NO_AUTOSTART": "1"}  # with its RAY_TMPDIR
                nodes = timed([*plot, f"{base / 'n'}/", *where], joined)
        reference = images(base / "d")
        outputs = {"ray": images(base / "r")}
        if nodes is not None:
            outputs["ray 3 nodes"] = images(base / "n")
    windows = len(reference)
    print(
        f"cohort: {args.files} files x {args.hours:g} h, {windows} windows, {os.cpu_count()} cores"
    )
    print(line("daemon plot --all -j 2", local, windows))
    print(line("ray plot --all", ray, windows, local))
    print(line("ray forecast --all", numbers, windows, local))
    if nodes is not None:
        print(line("ray plot --all, 3 nodes", nodes, windows, local))
    for name, found in outputs.items():
        same = "yes" if found == reference else "NO"
        print(f"images identical ({name}): {same} ({len(found)} images)")


if __name__ == "__main__":
    main()
