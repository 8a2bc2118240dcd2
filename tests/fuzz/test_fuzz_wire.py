"""Fuzzing the frame decoder and request validation: any bytes give messages
or a FrameError with a wire code, never another exception, and never more
decoded elements than the limits allow.

Each hypothesis example is a seed for a batch of inputs (`BATCH`), so the CI
run covers over 100,000 inputs in seconds; a failing batch is shrunk to its
seed and the input is printed.
"""

from __future__ import annotations

import random
import struct

import msgpack
from hypothesis import given
from hypothesis import strategies as st

from glurpc_core.errors import OpError
from glurpc_core.requests import args as op_args
from glurpc_wire import framing
from glurpc_wire.bounds import Limits, StructureTooLarge, check_structure
from glurpc_wire.codes import ErrorCode
from glurpcd.server.connection import _request_problem

from .settings import fuzz

BATCH = 100
FRAME_CODES = {ErrorCode.BAD_FRAME, ErrorCode.FRAME_TOO_LARGE}
SMALL = Limits(elements=64, depth=8)
seeds = st.integers(0, 2**32 - 1)


def _value(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(9 if depth < 10 else 7)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randint(-(2**63), 2**64 - 1)
    if kind == 3:
        return rng.uniform(-1e300, 1e300)
    if kind == 4:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(8)))
    if kind == 5:
        return rng.randbytes(rng.randrange(8))
    if kind == 6:
        return rng.randrange(128)
    if kind == 7:
        return [_value(rng, depth + 1) for _ in range(rng.randrange(6))]
    return {str(rng.randrange(99)): _value(rng, depth + 1) for _ in range(rng.randrange(6))}


def _count(value: object) -> int:
    if isinstance(value, list):
        return 1 + sum(_count(item) for item in value)
    if isinstance(value, dict):
        return 1 + sum(1 + _count(item) for item in value.values())
    return 1


def _depth(value: object) -> int:
    if isinstance(value, list | dict):
        items = value if isinstance(value, list) else list(value.values())
        return 1 + max((_depth(item) for item in items), default=0)
    return 0


def _noise(rng: random.Random) -> bytes:
    body = rng.randbytes(rng.randrange(48))
    if rng.random() < 0.5:  # mostly well-framed, so the payload parser is reached
        return struct.pack(">I", len(body)) + body
    return body


@fuzz(500)
@given(seeds)
def test_any_bytes_decode_or_fail_with_a_frame_code(seed):
    rng = random.Random(seed)
    for _ in range(BATCH):
        data = _noise(rng)
        try:
            for message in framing.FrameDecoder(max_frame=64).feed(data):
                assert isinstance(message, dict)
        except framing.FrameError as exc:
            assert exc.code in FRAME_CODES, data


@fuzz(300)
@given(seeds)
def test_the_pre_scan_refuses_exactly_what_exceeds_the_limits(seed):
    rng = random.Random(seed)
    for _ in range(BATCH):
        value = _value(rng)
        payload = msgpack.packb(value, use_bin_type=True)
        try:
            check_structure(payload, SMALL)
        except StructureTooLarge:
            assert _count(value) > SMALL.elements or _depth(value) >= SMALL.depth, value
        else:
            assert _count(value) <= SMALL.elements, value
        if len(payload) > 1:  # truncated and corrupted payloads never escape as other errors
            cut = payload[: rng.randrange(1, len(payload))]
            try:
                framing.decode_payload(cut, SMALL)
            except framing.FrameError as exc:
                assert exc.code in FRAME_CODES


@fuzz(250)
@given(seeds)
def test_request_validation_never_raises(seed):
    rng = random.Random(seed)
    for _ in range(BATCH):
        args = {name: _value(rng) for name in ("csv", "subject", "index", "force")}
        problem = _request_problem(_value(rng), _value(rng), _value(rng))
        assert problem is None or isinstance(problem, str)
        for check, name, extra in (
            (op_args.required_bytes, "csv", ()),
            (op_args.optional_str, "subject", ()),
            (op_args.optional_int, "index", (0,)),
            (op_args.optional_bool, "force", ()),
        ):
            try:
                check(args, name, *extra)
            except OpError as exc:
                assert exc.code is ErrorCode.BAD_REQUEST
