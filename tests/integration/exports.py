"""Seeded exports damaged the way real ones are, with the numbers a correct reading
of them must give, computed here from the generator's own records (never by
glurpcd code): stretches, windows, and where every row of the file goes.

Test data only (numpy and datetime, no I/O).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from tests.support import synthetic as syn

GAP_SPLIT_S = 15 * 60
WINDOW_POINTS = 108
MGDL_PER_MMOL = 18.0182


@dataclass
class Expected:
    """What a correct reading of one export (or one subject of it) gives."""

    times: list[datetime]  # readings that must be used or counted as too short
    values: np.ndarray  # mg/dL, same order
    stretches: list[tuple[int, int, int]] = field(default_factory=list)  # readings, points, windows
    rows: dict[str, int] = field(default_factory=dict)
    out_of_range_lines: list[int] = field(default_factory=list)
    truncated_lines: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.stretches = stretches_of(self.times)

    @property
    def windows(self) -> int:
        return sum(windows for _, _, windows in self.stretches)


def _anchor(run: list[datetime]) -> datetime:
    """The grid's first instant: the first whole minute at or after the first reading
    moved by the largest offset of any reading from the 5-minute rhythm it sets."""
    offsets = [((t - run[0]).total_seconds() + 150) % 300 - 150 for t in run]
    latest = run[0] + timedelta(seconds=max(offsets))
    floor = latest.replace(second=0, microsecond=0)
    return floor if latest == floor else floor + timedelta(minutes=1)


def stretches_of(times: list[datetime]) -> list[tuple[int, int, int]]:
    """(readings, grid points, windows) of each run without a gap over 15 minutes."""
    runs: list[list[datetime]] = [[times[0]]]
    for before, after in zip(times, times[1:], strict=False):
        if (after - before).total_seconds() > GAP_SPLIT_S:
            runs.append([])
        runs[-1].append(after)
    out = []
    for run in runs:
        points = math.ceil((run[-1] - _anchor(run)).total_seconds() / 300) + 1
        out.append((len(run), points, max(0, points - WINDOW_POINTS + 1)))
    return out


def _drop(times: list[datetime], values: np.ndarray, spans: list[tuple[int, int]]) -> tuple:
    keep = np.ones(len(times), dtype=bool)
    for start, stop in spans:
        keep[start:stop] = False
    return [t for t, k in zip(times, keep, strict=True) if k], values[keep]


def stretchy_dexcom(seed: int = 31) -> tuple[bytes, Expected]:
    """Three days of Dexcom G6 in four stretches (one too short), two values beyond
    the device range written as numbers, sensor High/Low, two repeated rows, two
    calibrations, and a last line cut inside its glucose value."""
    times, values = syn.make_trace(days=3, seed=seed, out_of_range=2)
    times, values = _drop(times, values, [(300, 308), (350, 360), (700, 712)])
    lines = syn.to_dexcom(times, values, calibrations=2).decode().splitlines()
    egv = [n for n, line in enumerate(lines) if ",EGV," in line]
    beyond = {egv[100]: "12", egv[500]: "612"}  # numbers no sensor reports
    for n, text in beyond.items():
        cells = lines[n].split(",")
        cells[7] = text
        lines[n] = ",".join(cells)
    repeated = [egv[150], egv[600]]
    for n in sorted(repeated, reverse=True):
        lines.insert(n + 1, lines[n])
    last = lines[-1]
    lines[-1] = last[: last.index(",Android G6,") + len(",Android G6,") + 1]  # "1" of "1xx"
    text = "\n".join(lines)  # no newline after the cut line
    dropped = {egv.index(n) for n in beyond} | {len(egv) - 1}
    kept = [i for i in range(len(times)) if i not in dropped]
    expected = Expected([times[i] for i in kept], values[kept])
    data_lines = text.split("\n")[1:]
    out_of_range = [n + 1 for n, line in enumerate(text.split("\n")) if ",Android G6,12," in line]
    out_of_range += [n + 1 for n, line in enumerate(text.split("\n")) if ",Android G6,612," in line]
    used = sum(r for r, _, w in expected.stretches if w > 0)
    expected.rows = {
        "rows": len(data_lines),
        "used": used,
        "too_short": len(expected.times) - used,
        "not_selected": 0,
        "duplicate": 2,
        "out_of_range": 2,
        "unparseable": 1,
        "calibration": sum(",Calibration," in line for line in data_lines),
        "other": sum(",EGV," not in line and ",Calibration," not in line for line in data_lines),
    }
    expected.out_of_range_lines = sorted(out_of_range)
    expected.truncated_lines = [len(text.split("\n"))]
    return text.encode(), expected


def cohort_table(seed: int = 41) -> tuple[bytes, dict[str, Expected]]:
    """An `id,time,gl` table of three subjects; B has a 70-minute outage (two stretches)."""
    spans = {"A": (1.5, []), "B": (2.0, [(200, 214)]), "C": (1.2, [])}
    parts, expected = [], {}
    for number, (subject, (days, holes)) in enumerate(spans.items()):
        start = syn.DEFAULT_START + timedelta(days=number)
        times, values = syn.make_trace(days=days, seed=seed + number, start=start)
        times, values = _drop(times, values, holes)
        parts.append(syn.to_generic(times, values, subject=subject, header=number == 0))
        expected[subject] = Expected(times, np.clip(values, 40, 400))
    return b"".join(parts), expected


def semicolon_mmol(seed: int = 51) -> tuple[bytes, Expected]:
    """A European table: `;` between cells, decimal commas, mmol/L."""
    times, values = syn.make_trace(days=1.5, seed=seed)
    lines = ["Zeit;Glucose (mmol/L)"]
    mmol = np.round(np.clip(values, 40, 400) / MGDL_PER_MMOL, 1)
    for when, value in zip(times, mmol, strict=True):
        lines.append(f"{when:%Y-%m-%d %H:%M:%S};{value:.1f}".replace(".", ","))
    lines[0] = "time;glucose_mmol_l"
    return ("\n".join(lines) + "\n").encode(), Expected(times, mmol * MGDL_PER_MMOL)


def libre_15_minutes(seed: int = 61) -> tuple[bytes, Expected]:
    """Two days of Libre Pro-style readings every 15 minutes (US layout, minutes only)."""
    times, values = syn.make_trace(days=2, seed=seed, step_minutes=15)
    raw = syn.to_libre(times, values)
    stamps = [t.replace(second=0) for t in times]  # the export writes minutes only
    return raw, Expected(stamps, np.clip(values, 40, 400))


def causal_history(expected: Expected, history_times: list[str], forecast_start: str) -> np.ndarray:
    """A window's history from the readings at or before its forecast start only."""
    cutoff = np.datetime64(forecast_start)
    readings = np.array(expected.times, dtype="datetime64[s]")
    before = readings <= cutoff
    seconds = readings[before].astype(np.int64).astype(np.float64)
    grid = np.array(history_times, dtype="datetime64[s]").astype(np.int64).astype(np.float64)
    return np.interp(grid, seconds, expected.values[before])
