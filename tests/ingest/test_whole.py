"""Whole exports at the ingestion layer: rows never read, stretches, causal history."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from glurpc_core.ingest import IngestError, PrepareSettings, prepare, prepare_subjects
from glurpc_core.ingest.screen import screen_rows
from glurpc_core.series import CgmSeries
from tests.support import synthetic as syn


def test_rows_cut_short_and_out_of_range_are_never_read() -> None:
    text = "time,gl,note\n2024-03-04 00:00:00,100,a\n2024-03-04 00:05:00,1\n"
    text += "2024-03-04 00:10:00,720,b\n2024-03-04 00:15:00,High,c\n2024-03-04 00:20:00,10"
    screened = screen_rows(text)
    assert screened.cut_lines == (3,)
    assert screened.out_of_range_lines == (4,)
    assert screened.truncated_lines == (6,)
    assert screened.data_rows == 5 and screened.unit == "mg/dL"
    assert "720" not in screened.text and "00:05:00,1\n" not in screened.text


def test_semicolon_decimal_commas_and_units() -> None:
    text = "time;glucose\n2024-03-04 00:00:00;5,6\n2024-03-04 00:05:00;1,1\n"
    screened = screen_rows(text)
    assert (screened.delimiter, screened.unit, screened.out_of_range_lines) == (";", "mmol/L", (3,))


def test_an_unknown_semicolon_file_is_refused_naming_its_delimiter() -> None:
    with pytest.raises(IngestError) as caught:
        prepare(b"Datum;Wert\n2024-03-04 10:00;5,6\n")
    assert "semicolon" in caught.value.message and caught.value.details["delimiter"] == ";"


def test_every_stretch_is_kept_and_latest_is_still_available() -> None:
    times, values = syn.make_trace(days=2, seed=4)
    keep = [t for n, t in enumerate(times) if not 200 <= n < 212]  # a one-hour outage
    raw = syn.to_generic(keep, np.delete(values, range(200, 212)))
    every = prepare(raw)
    latest = prepare(raw, PrepareSettings(sequence="latest"))
    assert len(every.series.stretch_starts) == 2
    assert every.series.windows == sum(max(0, n - 107) for n in (200, len(times) - 212))
    assert latest.series.windows == len(times) - 212 - 107
    assert every.report["accounting"]["used"] == len(keep)


def test_subjects_are_listed_in_file_order() -> None:
    times, values = syn.make_trace(days=0.5, seed=1)
    raw = syn.to_generic(times, values, subject="b") + syn.to_generic(
        times, values, subject="a", header=False
    )
    assert [subject for subject, _ in prepare_subjects(raw)] == ["b", "a"]
    with pytest.raises(IngestError) as caught:
        prepare(raw)
    assert caught.value.details["subjects"] == ["b", "a"]


def test_one_read_of_a_table_prepares_each_subject_as_naming_it_would() -> None:
    times, values = syn.make_trace(days=0.5, seed=2)
    raw = syn.to_generic(times, values, subject="b")
    raw += syn.to_generic(times[:20], values[:20], subject="short", header=False)
    raw += syn.to_generic(times, values * 0.9, subject="a", header=False)
    settings = PrepareSettings(sequence="latest")
    each = dict(prepare_subjects(raw, settings))
    assert list(each) == ["b", "short", "a"]
    for subject, found in each.items():
        named = PrepareSettings(sequence="latest", subject=subject)
        if isinstance(found, IngestError):
            with pytest.raises(IngestError) as caught:
                prepare(raw, named)
            assert (caught.value.code, caught.value.message) == (found.code, found.message)
            continue
        alone = prepare(raw, named)
        assert (found.digest, found.report, found.warnings) == (
            alone.digest,
            alone.report,
            alone.warnings,
        )
    assert isinstance(each["short"], IngestError) and not isinstance(each["a"], IngestError)


def test_window_arithmetic_spans_stretches_and_history_is_causal() -> None:
    step = np.timedelta64(300, "s")
    first = np.datetime64("2024-03-04T00:00:00") + np.arange(120) * step
    second = first[-1] + np.timedelta64(2, "h") + np.arange(110) * step
    times = np.concatenate([first, second])
    glucose = np.arange(230, dtype=np.float32) + 100
    seconds = times.astype(np.int64)
    last = seconds.copy()
    last[-1] = seconds[-2]  # the last point has no reading of its own yet
    values = glucose.copy()
    values[-1] = glucose[-2]
    series = CgmSeries(times, glucose, np.array([0, 120]), last_reading_s=last, last_value=values)
    assert series.windows == 13 + 3
    assert series.input_start(0) == 120 + 2 and series.input_start(-3) == 12
    assert series.input_start(-15) == 0 and series.input_start(12) == 230 - 96
    with pytest.raises(IndexError):
        series.input_start(-16)
    assert series.index_at(series.forecast_start(-5)) == -5
    assert series.index_at(times[119] + np.timedelta64(1, "h")) is None  # in the gap
    history = series.history(np.array([series.input_start(12)]))[0]
    assert history[-1] == glucose[-2]  # held at the last reading, never the next
    assert series.history_imputed(series.input_start(12))[-1]


def test_readings_merged_into_a_shared_slot_are_duplicates_in_the_accounting_too() -> None:
    # Two extra readings 2 minutes after others: each shares a 5-minute slot and is
    # merged. The warning said "2 merged" while the accounting showed duplicate: 0.
    times, values = syn.make_trace(days=1, seed=6)
    pairs = [*zip(times, values, strict=True)]
    pairs += [(times[n] + timedelta(minutes=2), values[n]) for n in (100, 200)]
    pairs.sort(key=lambda pair: pair[0])
    times, values = [t for t, _ in pairs], np.array([v for _, v in pairs])
    prepared = prepare(syn.to_generic(times, values))
    rows = prepared.report["accounting"]
    (merged,) = [w for w in prepared.warnings if w.flag == "time_duplicates"]
    assert rows["duplicate"] == merged.count == 2
    assert rows["used"] == len(times) - 2
    assert rows["rows"] == sum(count for key, count in rows.items() if key != "rows")
