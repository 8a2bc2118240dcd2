"""Structure limits for one msgpack payload, checked before it is decoded.

Layer: wire (stdlib only). A msgpack byte can decode to a Python object of
60 bytes or more (an empty map is one byte on the wire), and a container
header may claim millions of entries that the decoder preallocates. So the
payload is walked once without building anything: every element is counted
against a budget proportional to the frame size allowed, nesting is limited,
and a header that claims more entries than the budget has left is refused at
once. What the walk cannot judge (truncation, invalid bytes, trailing data) is
left to the decoder, which reports it as `bad_frame`.
"""

from __future__ import annotations

import struct

# One element per this many bytes of allowed frame: a 64 MiB frame may hold
# 262,144 elements (about 20 MB of Python objects at worst), plenty for any
# request or reply the protocol has.
BYTES_PER_ELEMENT = 256
MIN_ELEMENTS = 256
MAX_DEPTH = 32

_U8, _U16, _U32 = struct.Struct(">B"), struct.Struct(">H"), struct.Struct(">I")
# Lead byte -> bytes of fixed-size payload after it (scalars with no length field).
_FIXED = {
    0xC0: 0, 0xC2: 0, 0xC3: 0,  # nil, false, true
    0xCA: 4, 0xCB: 8,  # float32/64
    0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8,  # uint8..64
    0xD0: 1, 0xD1: 2, 0xD2: 4, 0xD3: 8,  # int8..64
    0xD4: 2, 0xD5: 3, 0xD6: 5, 0xD7: 9, 0xD8: 17,  # fixext 1..16 (+ type byte)
}  # fmt: skip
# Lead byte -> (length field, extra bytes before the data) for sized scalars.
_SIZED = {
    0xC4: (_U8, 0), 0xC5: (_U16, 0), 0xC6: (_U32, 0),  # bin
    0xC7: (_U8, 1), 0xC8: (_U16, 1), 0xC9: (_U32, 1),  # ext (+ type byte)
    0xD9: (_U8, 0), 0xDA: (_U16, 0), 0xDB: (_U32, 0),  # str
}  # fmt: skip
# Lead byte -> (count field, entries per count) for sized containers.
_CONTAINERS = {0xDC: (_U16, 1), 0xDD: (_U32, 1), 0xDE: (_U16, 2), 0xDF: (_U32, 2)}


class Limits:
    """How many elements, how deeply nested, one payload may hold. A plain class:
    every `glurpc` call loads this module, and `dataclasses` costs it start-up time."""

    __slots__ = ("depth", "elements")

    def __init__(self, elements: int, depth: int = MAX_DEPTH) -> None:
        self.elements = elements
        self.depth = depth

    def __repr__(self) -> str:
        return f"Limits(elements={self.elements}, depth={self.depth})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Limits):
            return NotImplemented
        return (self.elements, self.depth) == (other.elements, other.depth)

    def __hash__(self) -> int:
        return hash((self.elements, self.depth))

    @classmethod
    def for_frame(cls, max_frame: int) -> Limits:
        return cls(max(MIN_ELEMENTS, max_frame // BYTES_PER_ELEMENT))


class StructureTooLarge(ValueError):
    """The payload holds more elements or deeper nesting than its limits."""


def check_structure(payload: bytes | bytearray | memoryview, limits: Limits) -> None:
    """Raise StructureTooLarge when decoding `payload` could exceed `limits`."""
    data = memoryview(payload).cast("B")
    size = len(data)
    pending = [1]  # entries still expected, per open container (outermost first)
    pos = elements = 0
    while pending:
        if pending[-1] == 0:
            pending.pop()
            continue
        if pos >= size:
            return  # truncated: the decoder says so
        pending[-1] -= 1
        elements += 1
        lead = data[pos]
        pos += 1
        entries = 0
        if lead <= 0x7F or lead >= 0xE0:  # positive / negative fixint
            continue
        if lead <= 0x8F:
            entries = (lead & 0x0F) * 2
        elif lead <= 0x9F:
            entries = lead & 0x0F
        elif lead <= 0xBF:
            pos += lead & 0x1F
        elif lead in _FIXED:
            pos += _FIXED[lead]
        elif lead in _SIZED:
            field, extra = _SIZED[lead]
            if pos + field.size > size:
                return
            pos += field.size + extra + field.unpack_from(data, pos)[0]
        elif lead in _CONTAINERS:
            field, per_count = _CONTAINERS[lead]
            if pos + field.size > size:
                return
            entries = field.unpack_from(data, pos)[0] * per_count
            pos += field.size
        else:
            return  # 0xc1 (never used): the decoder refuses it
        if entries:
            _open_container(pending, entries, elements, limits)


def _open_container(pending: list[int], entries: int, elements: int, limits: Limits) -> None:
    # Counting claimed entries up front also refuses a header whose count the
    # decoder would preallocate, before any of it is read.
    claimed = elements + entries + sum(pending)
    if claimed > limits.elements:
        raise StructureTooLarge(
            f"the frame holds at least {claimed} elements; the limit is {limits.elements}"
        )
    if len(pending) > limits.depth:
        raise StructureTooLarge(f"nesting deeper than {limits.depth} levels")
    pending.append(entries)
