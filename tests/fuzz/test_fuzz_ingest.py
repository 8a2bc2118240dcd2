"""Fuzzing the CGM parsers: arbitrary bytes and mutated real-looking exports
end in a prepared series or an IngestError (invalid_data / too_short), never
another exception."""

from __future__ import annotations

import functools

from hypothesis import given
from hypothesis import strategies as st

from glurpc_core import ingest
from glurpc_core.errors import ErrorCode

from .settings import fuzz

INGEST_CODES = {ErrorCode.INVALID_DATA, ErrorCode.TOO_SHORT}


@functools.cache
def _export() -> bytes:
    from tests.integration.samples import cgm_csv

    return cgm_csv(hours=10, seed=3)


def _prepare(raw: bytes) -> None:
    try:
        prepared = ingest.prepare(raw)
    except ingest.IngestError as exc:
        assert exc.code in INGEST_CODES, exc
    else:
        # A window with a known next hour, or at least the hour after the data.
        series = prepared.series
        assert series.windows >= 1 or series.has_index(12)


@fuzz(400)
@given(st.binary(max_size=512))
def test_arbitrary_bytes(raw):
    _prepare(raw)


@fuzz(300)
@given(st.data())
def test_mutated_exports(data):
    raw = bytearray(_export())
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            raw[at] = data.draw(st.integers(0, 255))
        elif action == "cut":
            del raw[at : at + data.draw(st.integers(1, 200))]
        else:
            raw[at:at] = data.draw(st.sampled_from([b",", b"\n", b'"', b"\xff", b"-1", b"9e99"]))
        if not raw:
            break
    _prepare(bytes(raw))
