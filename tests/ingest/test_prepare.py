"""Preparation semantics: grid, gaps, duplicates, sequence choice, digest, cache bytes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import numpy as np
import pytest

from glurpc_core.ingest import IngestError, PreparedData, PrepareSettings, prepare
from tests.support import synthetic as syn

START = datetime(2024, 3, 4, 8, 0, 0)


def _table(offsets_s: list[float], values: list[float]) -> bytes:
    return syn.to_generic([START + timedelta(seconds=s) for s in offsets_s], np.asarray(values))


def _steady(count: int, first_s: float = 0.0, gap_after: int | None = None, gap_s: int = 0):
    offsets = [first_s + 300 * k + (gap_s if gap_after is not None and k > gap_after else 0)
               for k in range(count)]  # fmt: skip
    return offsets, [100.0 + k % 50 for k in range(count)]


def test_grid_starts_on_the_first_whole_minute_at_or_after_the_first_reading() -> None:
    late = prepare(_table(*_steady(120, first_s=29))).series
    exact = prepare(_table(*_steady(120, first_s=0))).series
    assert str(late.times[0]) == "2024-03-04T08:01:00"
    assert str(exact.times[0]) == "2024-03-04T08:00:00"
    assert np.all(np.diff(late.times).astype(int) == 300)


def test_gap_of_15_minutes_is_interpolated_and_16_splits() -> None:
    offsets, values = _steady(240, gap_after=150, gap_s=600)  # 15-minute gap
    prepared = prepare(_table(offsets, values))
    assert prepared.series.points == 242
    imputation = {w.flag: w.count for w in prepared.warnings}["imputation"]
    assert imputation == 2
    gap_at = prepared.series.glucose[151:153]
    np.testing.assert_allclose(gap_at, np.interp([1, 2], [0, 3], [values[150], values[151]]))
    offsets, values = _steady(240, gap_after=150, gap_s=660)  # 16 minutes: a new sequence
    split = prepare(_table(offsets, values))
    # The 89 points after the gap are too short for a window: the earlier 151 are used.
    assert split.series.points == 151
    assert {w.flag: w.count for w in split.warnings}["too_short"] == 89


def test_latest_and_longest() -> None:
    offsets, values = _steady(400, gap_after=250, gap_s=3600)  # 251 points, then 149
    raw = _table(offsets, values)
    latest = prepare(raw, PrepareSettings(sequence="latest"))
    longest = prepare(raw, PrepareSettings(sequence="longest"))
    assert (latest.series.points, longest.series.points) == (149, 251)
    assert latest.series.times[0] > longest.series.times[-1]
    assert latest.digest != longest.digest


def test_duplicate_timestamps_are_merged_by_mean() -> None:
    offsets, values = _steady(120)
    offsets.insert(10, offsets[10])
    values.insert(10, values[10] + 20)
    prepared = prepare(_table(offsets, values))
    assert prepared.series.points == 120
    assert prepared.series.glucose[10] == pytest.approx(values[11] + 10)
    assert {w.flag: w.count for w in prepared.warnings}["time_duplicates"] == 1


def test_digest_depends_on_content_and_settings_only() -> None:
    raw = _table(*_steady(150))
    first, again = prepare(raw), prepare(raw)
    assert first.digest == again.digest and len(first.digest) == 64
    assert prepare(raw, PrepareSettings(subject="x")).digest != first.digest
    unified = syn.to_unified([START + timedelta(minutes=5 * k) for k in range(150)],
                             np.asarray(_steady(150)[1]))  # fmt: skip
    assert prepare(unified).digest == first.digest


def test_cache_bytes_round_trip_and_reject_garbage() -> None:
    prepared = prepare(syn.to_dexcom(*syn.make_trace(days=1, seed=3, out_of_range=1)))
    back = PreparedData.from_bytes(prepared.to_bytes())
    np.testing.assert_array_equal(back.series.times, prepared.series.times)
    np.testing.assert_array_equal(back.series.glucose, prepared.series.glucose)
    assert (back.warnings, back.digest, back.start, back.end) == (
        prepared.warnings, prepared.digest, prepared.start, prepared.end,
    )  # fmt: skip
    good = prepared.to_bytes()
    for garbage in (b"", b"not an npz", good[: len(good) // 2], good.replace(b"dexcom", b"dexcoM")):
        with pytest.raises(IngestError) as caught:
            PreparedData.from_bytes(garbage)
        assert caught.value.code == "invalid_data"


def test_tampered_series_fails_the_digest() -> None:
    prepared = prepare(syn.to_dexcom(*syn.make_trace(days=1, seed=3)))
    glucose = prepared.series.glucose.copy()
    glucose[5] += 1
    tampered = PreparedData(
        type(prepared.series)(prepared.series.times, glucose), prepared.warnings,
        prepared.source_format, prepared.digest, prepared.start, prepared.end,
        prepared.settings_key,
    )  # fmt: skip
    with pytest.raises(IngestError):
        PreparedData.from_bytes(tampered.to_bytes())


def test_subject_column_selects_one_subject() -> None:
    a = syn.make_trace(days=1, seed=1)
    b = syn.make_trace(days=1, seed=2)
    cohort = syn.to_generic(*a, subject="a") + syn.to_generic(*b, subject="b", header=False)
    only_b = prepare(cohort, PrepareSettings(subject="b"))
    np.testing.assert_array_equal(only_b.series.glucose, prepare(syn.to_generic(*b)).series.glucose)


def test_threads_share_nothing() -> None:
    raws = [syn.to_dexcom(*syn.make_trace(days=1, seed=s)) for s in range(4)]
    expected = [prepare(raw).digest for raw in raws]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda raw: prepare(raw).digest, raws * 3)) == expected * 3


def test_settings_reject_unknown_sequence_policy() -> None:
    with pytest.raises(ValueError):
        PrepareSettings(sequence="oldest")  # type: ignore[arg-type]
