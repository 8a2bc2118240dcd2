"""Framing: any chunking of the byte stream yields the same messages; bad
frames raise FrameError with the documented code."""

from __future__ import annotations

import struct

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glurpc_wire import framing
from glurpc_wire import messages as wire
from glurpc_wire.framing import FrameDecoder, FrameError

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=300),
)
value = st.recursive(
    leaf,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
message = st.dictionaries(st.text(max_size=12), value, min_size=1, max_size=6)


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in zip(points, points[1:], strict=False)]


@settings(max_examples=200, deadline=None)
@given(st.lists(message, min_size=1, max_size=8), st.lists(st.integers(0, 10**6), max_size=30))
def test_any_chunking_yields_the_same_messages(messages, cuts):
    stream = b"".join(framing.encode_frame(m) for m in messages)
    decoder = FrameDecoder()
    decoded = [m for piece in chunks(stream, cuts) for m in decoder.feed(piece)]
    assert decoded == messages
    assert decoder.buffered == 0


def test_byte_by_byte():
    messages = [
        wire.request(i, "plot", {"csv": bytes(range(256)) * 4, "index": -i}) for i in range(5)
    ]
    stream = b"".join(framing.encode_frame(m) for m in messages)
    decoder = FrameDecoder()
    decoded = [m for i in range(len(stream)) for m in decoder.feed(stream[i : i + 1])]
    assert decoded == messages


@pytest.mark.parametrize(
    "data, code",
    [
        (struct.pack(">I", 0), "bad_frame"),
        (struct.pack(">I", 101), "frame_too_large"),
        (framing.HEADER.pack(3) + msgpack.packb([1, 2]), "bad_frame"),
        (framing.HEADER.pack(2) + b"\xc1\xc1", "bad_frame"),
        (framing.HEADER.pack(5) + msgpack.packb({1: 2}) + b"\x00\x00", "bad_frame"),
    ],
)
def test_bad_frames(data, code):
    with pytest.raises(FrameError) as failure:
        FrameDecoder(max_frame=100).feed(data)
    assert failure.value.code == code


def test_oversized_length_is_refused_before_the_body_arrives():
    decoder = FrameDecoder(max_frame=1024)
    with pytest.raises(FrameError) as failure:
        decoder.feed(struct.pack(">I", 1025))
    assert failure.value.code == "frame_too_large"


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_garbage_never_escapes_as_anything_but_frame_error(garbage):
    decoder = FrameDecoder(max_frame=1 << 16)
    try:
        for message in decoder.feed(garbage):
            assert isinstance(message, dict)
    except FrameError as exc:
        assert exc.code in ("bad_frame", "frame_too_large")


def test_encoding_refuses_frames_over_the_limit():
    with pytest.raises(FrameError):
        framing.encode_frame({"blob": b"x" * 200}, max_frame=100)
