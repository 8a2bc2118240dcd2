"""Generic research tables: column names, units, separators and timestamp locales."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from glurpc_core.ingest import convert, prepare
from tests.support import synthetic as syn

START = datetime(2024, 3, 4, 0, 0, 0)
TIMES = [START + timedelta(minutes=5 * k) for k in range(150)]
VALUES = np.asarray([100.0 + (k % 30) for k in range(150)])
BASELINE = prepare(syn.to_generic(TIMES, VALUES)).series


def _table(header: str, rows: list[str]) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.mark.parametrize(
    ("header", "stamp"),
    [
        ("time,gl", lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("timestamp,glucose", lambda t: t.strftime("%Y-%m-%d %H:%M:%S+01:00")),
        ("Time,Glucose", lambda t: t.strftime("%m/%d/%Y %I:%M %p")),
        ("datetime,sgv", lambda t: t.strftime("%d.%m.%Y %H:%M")),
        ("ts,bg", lambda t: str(int((t - datetime(1970, 1, 1)).total_seconds()))),
        ("ts,bg", lambda t: str(int((t - datetime(1970, 1, 1)).total_seconds() * 1000))),
    ],
)
def test_timestamp_layouts_read_the_same_series(header: str, stamp) -> None:
    rows = [f"{stamp(t)},{int(v)}" for t, v in zip(TIMES, VALUES, strict=True)]
    series = prepare(_table(header, rows)).series
    np.testing.assert_array_equal(series.times, BASELINE.times)
    np.testing.assert_array_equal(series.glucose, BASELINE.glucose)


def test_month_first_when_no_day_exceeds_12_goes_by_shortest_span() -> None:
    # 03/04 .. 03/06: read day-first it would jump from 3 April to 3 May and 3 June.
    times, values = syn.make_trace(days=2.5, seed=3)
    rows = [f"{t:%m/%d/%Y %H:%M},{int(v)}" for t, v in zip(times, values, strict=True)]
    series = prepare(_table("time,gl", rows)).series
    assert str(series.times[0]).startswith("2024-03-04")
    assert series.points == len(times)


def test_semicolon_table_with_comma_decimals_in_mmol() -> None:
    rows = [f"{t:%Y-%m-%d %H:%M:%S};{v / 18.0182:.2f}".replace(".", ",") for t, v in
            zip(TIMES, VALUES, strict=True)]  # fmt: skip
    series = prepare(_table("time;glucose_mmol", rows)).series
    assert np.max(np.abs(series.glucose - BASELINE.glucose)) < 0.1


def test_convert_writes_cgm_format_unified_csv() -> None:
    unified, source = convert(syn.to_generic(TIMES, VALUES, subject="p1"))
    assert source == "generic"
    header, first = unified.decode().split("\n")[:2]
    assert header.startswith("sequence_id,original_datetime,original_glucose,quality,event_type")
    assert "EGV_READ" in first and "2024-03-04T00:00:00" in first
