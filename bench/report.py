"""Runs every bench script with quick settings and writes BENCHMARKS.md.

    bench/run [--only cli,ingest,...] [--out BENCHMARKS.md]

Each script runs in its own process, one after another, and its output goes
into the report verbatim: every script prints its figures beside the
reference point it measured in the same run (the bare interpreter and
`import click, msgpack`, a raw socket round trip, a plain CSV read, one
forward pass, the reference's way of batching, idle RSS and idle pings). The
hostile-load figures also go into a table at the top. Numbers depend on the
machine's load, which is recorded with them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

# name -> (module, quick arguments, what its reference points are)
BENCHES: dict[str, tuple[str, list[str], str]] = {
    "hostile": (
        "bench.bench_hostile",
        ["--json"],
        "idle RSS and the longest ping of an idle daemon, measured first on the same daemon",
    ),
    "cli": (
        "bench.bench_cli",
        ["--runs", "9", "--pings", "1000"],
        "the bare interpreter, `import click, msgpack`, and a raw socket round trip",
    ),
    "startup": (
        "bench.bench_startup",
        ["--runs", "21"],
        "`import click, msgpack` (the floor of a click CLI), interleaved with both calls",
    ),
    "ingest": (
        "bench.bench_ingest",
        ["--repeat", "3"],
        "`csv.reader` over the same bytes (a plain CSV read)",
    ),
    "model": (
        "bench.bench_model",
        ["--cases", "one,batched,reference"],
        "one forward pass (`one`) and the reference's batching (`reference`)",
    ),
    "render": (
        "bench.bench_render",
        ["--plots", "20", "--repeats", "5"],
        "the Agg draw alone, beside a full PNG",
    ),
    "plot": (
        "bench.bench_plot",
        ["--repeat", "3"],
        "`import click, msgpack` (the floor of a click CLI)",
    ),
    "lifecycle": (
        "bench.bench_lifecycle",
        ["--rounds", "5"],
        "the CPU seconds of the whole job a Ctrl-C abandons",
    ),
    "bulk": (
        "bench.bench_bulk",
        ["--rounds", "2"],
        "`bench_model`'s batched job, timed right before the CLI's in each round; "
        "one window per request",
    ),
    "evaluate": (
        "bench.bench_evaluate",
        ["--files", "3", "--days", "3"],
        "`glurpc forecast --all` over a cohort of the same shape (the bulk path alone)",
    ),
    "precision": (
        "bench.bench_precision",
        ["--repeats", "1"],
        "float32, timed beside bf16 on the same job",
    ),
    "models": (
        "bench.bench_models",
        ["--rounds", "20"],
        "each request that switches model paired with the next one, which stays on it; "
        "`torch.load` of the same file beside the daemon's loader",
    ),
    "cohort": (
        "bench.bench_cohort",
        ["--files", "50"],
        "the daemon path, beside the Ray engine (one node and three) on the same exports",
    ),
}
HOSTILE_TARGETS = "peak < 300 MB above idle (amplification, never_reading); ping < 250 ms"


def _run(module: str, args: list[str]) -> tuple[str, float, int]:
    started = time.monotonic()
    # Scripts that start helper processes of their own find `tests/` and `bench/` too.
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, check=False, env=env
    )
    output = done.stdout.strip()
    if done.returncode != 0:
        output += f"\n(exit {done.returncode})\n" + "\n".join(done.stderr.strip().splitlines()[-5:])
    return output, time.monotonic() - started, done.returncode


def _hostile_table(output: str) -> list[str]:
    rows = json.loads(output.splitlines()[-1])
    lines = [
        "| case | peak RSS above idle (MB) | longest ping (ms) | RSS after (above idle) | note |",
        "|---|---:|---:|---:|---|",
    ]
    for row in rows:
        peak = "—" if row["reference"] else f"{row['peak_above_idle_mb']:.0f}"
        after = "—" if row["reference"] else f"{row['after_above_idle_mb']:.0f}"
        note = row["note"] + (f" (idle RSS {row['idle_mb']:.0f} MB)" if row["reference"] else "")
        if not row["reference"] and "tree_peak_above_idle_mb" in row:
            note += f"; with its children: peak {row['tree_peak_above_idle_mb']:.0f} MB above idle"
        lines.append(
            f"| {row['case']} | {peak} | {row['longest_ping_ms']:.1f} | {after} | {note} |"
        )
    return lines


def _machine() -> str:
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()},"
        f" load average {load} (1/5/15 min) at the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Written by `bench/run` on {stamp}; {_machine()}.",
        "Every figure stands beside its reference point, measured in the same run.",
        "Targets are reported here, never asserted in tests.",
        "",
    ]
    sections: list[str] = []
    for name in args.only.split(","):
        module, quick, reference = BENCHES[name]
        print(f"bench/run: {module} ...", file=sys.stderr, flush=True)
        output, seconds, code = _run(module, quick)
        if name == "hostile" and code == 0:
            lines += [f"## Hostile load ({HOSTILE_TARGETS})", "", *_hostile_table(output), ""]
            continue
        sections += [
            f"## {name}: `python -m {module} {' '.join(quick)}` ({seconds:.0f} s)",
            "",
            f"Reference point: {reference}.",
            "",
            "```",
            output,
            "```",
            "",
        ]
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    lines += [*sections, f"Load average at the end: {load}.", ""]
    args.out.write_text("\n".join(lines))
    print(f"bench/run: wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
