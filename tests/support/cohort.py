"""A seeded cohort of synthetic CGM exports on disk, for the Ray tests and bench/.

Files alternate Dexcom Clarity and Libre layouts (what a study's folder holds),
each its own seeded trace, so `write_cohort(d, n, hours, seed)` always writes
the same bytes. Never real data.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.synthetic import make_trace, to_dexcom, to_libre


def write_cohort(directory: Path, count: int, hours: float, seed: int = 0) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        times, values = make_trace(days=hours / 24, seed=seed * 10_000 + number)
        writer = to_dexcom if number % 2 == 0 else to_libre
        path = directory / f"subject{number:03d}.csv"
        path.write_bytes(writer(times, values))
        paths.append(path)
    return paths
