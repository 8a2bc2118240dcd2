"""The parsing child is held to the parse memory bound: an allocation past it
ends the job as `invalid_data` (too_large), never as a child that grows
until the machine swaps."""

from __future__ import annotations

import asyncio

import pytest

from glurpc_core.errors import CodedError
from glurpc_core.ingest.budget import PARSE_MEMORY_BYTES
from glurpcd.engine.parse_child import ChildTask, run_in_child

pytestmark = pytest.mark.timeout(120)


def allocated(size: int) -> int:
    """Runs in the child: write `size` bytes (untouched pages would cost nothing)."""
    block = bytearray(size)
    block[:: 1 << 12] = b"\x01" * len(range(0, size, 1 << 12))
    return len(block)


def test_a_child_allocating_past_the_parse_bound_is_too_large() -> None:
    task = ChildTask(allocated, (PARSE_MEMORY_BYTES + (256 << 20),))
    with pytest.raises(CodedError) as caught:
        asyncio.run(run_in_child(task, wanted=lambda: True))
    assert caught.value.details["reason"] == "too_large"


def test_a_child_within_the_bound_answers() -> None:
    task = ChildTask(allocated, (64 << 20,))
    assert asyncio.run(run_in_child(task, wanted=lambda: True)) == 64 << 20
