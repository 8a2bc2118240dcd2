"""Every corpus case gets its expected error code or warning flag."""

from __future__ import annotations

import msgpack
import pytest

from glurpc_core.ingest import FLAGS, IngestError, PrepareSettings, convert, prepare

from .corpus import CORPUS

ERROR_CODES = ("invalid_data", "too_short")


def test_corpus_is_large_and_names_are_unique() -> None:
    assert len(CORPUS) >= 25
    assert len({case.name for case in CORPUS}) == len(CORPUS)
    for case in CORPUS:
        assert case.expected in (ERROR_CODES if case.kind == "error" else FLAGS), case.name
    assert sum(case.kind == "error" for case in CORPUS) >= 25


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_case_gets_expected_answer(case) -> None:
    settings = PrepareSettings(subject=case.subject)
    if case.kind == "error":
        with pytest.raises(IngestError) as caught:
            prepare(case.data, settings)
        error = caught.value
        assert error.code == case.expected, error.message
        assert error.message
        msgpack.packb(error.details)  # details must travel on the wire as they are
    else:
        prepared = prepare(case.data, settings)
        flags = [w.flag for w in prepared.warnings]
        assert case.expected in flags
        warning = prepared.warnings[flags.index(case.expected)]
        assert warning.count > 0 and warning.message
        assert set(warning.to_wire()) == {"flag", "message", "count"}


@pytest.mark.parametrize(
    "case",
    [c for c in CORPUS if c.kind == "error" and c.expected == "invalid_data"],
    ids=lambda c: c.name,
)
def test_convert_rejects_what_prepare_rejects_at_parse_time(case) -> None:
    try:
        convert(case.data, subject=case.subject)
    except IngestError as error:
        assert error.code == "invalid_data"
    # Some files parse but hold too few readings: convert may return them (no series needed).


def test_errors_say_where() -> None:
    by_name = {case.name: case for case in CORPUS}
    with pytest.raises(IngestError) as caught:
        prepare(by_name["one_bad_date_in_many"].data)
    assert caught.value.details["line"] == 52
    assert caught.value.details["column"] == "time"
    with pytest.raises(IngestError) as caught:
        prepare(by_name["six_hours"].data)
    details = dict(caught.value.details)
    assert details.pop("accounting")["too_short"] == 72  # every reading of the file
    assert details == {
        "points": 72,
        "minutes": 360,
        "last_points": 72,
        "required_points": 108,
        "required_minutes": 540,
        "ahead_required_points": 96,
        "sequences": 1,
    }
