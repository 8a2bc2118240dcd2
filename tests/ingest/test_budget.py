"""What one parse may cost, judged on the bytes before any parser runs: the
shapes that drove a parser past 3 GB are refused in milliseconds, with the
bound they broke; real exports pass."""

from __future__ import annotations

import pytest

from glurpc_core.ingest import IngestError, admitted, prepare
from glurpc_core.ingest.budget import CHILD_LINES, MAX_LINE_BYTES, MAX_LINES
from tests.support import synthetic as syn


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"1\n" * MAX_LINES, "lines"),  # one line past the bound: the last has no newline
        (b'"' + b"1\r" * MAX_LINES, "lines"),  # an unclosed quote, old Mac line ends
        (b"time;gl\n" + (b";" * 9 + b"\n") * 900_000, "cells"),
        (b"time,gl\n2024-01-01 00:00," + b"9" * MAX_LINE_BYTES + b"\n", "line_bytes"),
    ],
)
def test_a_file_past_a_bound_is_too_large_before_it_is_parsed(raw: bytes, detail: str) -> None:
    with pytest.raises(IngestError) as caught:
        prepare(raw)
    assert caught.value.details["reason"] == "too_large" and detail in caught.value.details


def test_real_exports_pass_and_large_ones_go_to_a_child() -> None:
    times, values = syn.make_trace(days=30, seed=3)
    small = admitted(syn.to_generic(times, values))
    assert small.lines == len(times) + 2 and not small.needs_child
    times, values = syn.make_trace(days=400, seed=3)  # 115,200 readings
    assert admitted(syn.to_generic(times, values)).lines > CHILD_LINES


def test_a_binary_file_is_said_to_be_binary_not_too_large() -> None:
    with pytest.raises(IngestError) as caught:
        prepare(b"PK\x03\x04" + b"\x01" * (MAX_LINE_BYTES * 2))
    assert caught.value.details["reason"] == "binary"
