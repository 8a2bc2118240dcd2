"""Parse + prepare time of a 90-day, 5-minute Dexcom export next to plain `csv` reading.

    .venv/bin/python -m bench.bench_ingest [--days 90] [--repeat 5]

Reports the median of `--repeat` runs per layout: `prepare` (detect, parse,
prepare, digest) and `csv.reader` over the same bytes (decode + split, the
floor any parser pays). Target: well under 1 s for 90 days.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import time

from glurpc_core.ingest import prepare
from tests.support import synthetic as syn


def _median_seconds(action, repeat: int) -> float:  # noqa: ANN001
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _plain_csv(raw: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    times, values = syn.make_trace(days=args.days, seed=1, duplicates=4, out_of_range=3)
    libre = syn.make_trace(days=args.days, seed=1, step_minutes=15)
    layouts = {
        "dexcom": syn.to_dexcom(times, values, calibrations=int(args.days)),
        "libre (15 min)": syn.to_libre(*libre),
        "nightscout": syn.to_nightscout(times, values),
        "generic": syn.to_generic(times, values),
    }
    prepare(layouts["dexcom"])  # warm caches (polars thread pool, imports)
    print(f"{args.days:g} days, median of {args.repeat}")
    print(f"{'layout':<16}{'bytes':>11}{'points':>8}{'prepare ms':>12}{'csv ms':>9}")
    for name, raw in layouts.items():
        points = prepare(raw).series.points
        prepared_s = _median_seconds(lambda raw=raw: prepare(raw), args.repeat)
        csv_s = _median_seconds(lambda raw=raw: _plain_csv(raw), args.repeat)
        print(f"{name:<16}{len(raw):>11,}{points:>8}{prepared_s * 1e3:>12.1f}{csv_s * 1e3:>9.1f}")


if __name__ == "__main__":
    main()
