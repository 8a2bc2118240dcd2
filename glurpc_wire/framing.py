"""Framing: bytes <-> msgpack maps (docs/PROTOCOL.md "Framing").

A frame is a 4-byte unsigned big-endian length N followed by N bytes holding
one msgpack map with string keys. No I/O: the caller owns the socket. A
payload's structure is checked against limits proportional to the frame size
allowed (bounds.py) before it is decoded, so no frame can decode to much more
memory than its own size.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack

from .bounds import Limits, StructureTooLarge, check_structure
from .codes import ErrorCode

DEFAULT_MAX_FRAME = 64 * 1024 * 1024
# Before `hello` a peer has proven nothing: its frames stay small.
PRE_HELLO_MAX_FRAME = 64 * 1024
_HAND_OVER = 1024 * 1024  # payloads at least this large are not copied out of the buffer
HEADER = struct.Struct(">I")

Message = dict[str, Any]


class FrameError(Exception):
    """The byte stream broke the framing rules; the connection must be closed."""

    def __init__(
        self, code: ErrorCode, message: str, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def encode_frame(message: Message, max_frame: int = DEFAULT_MAX_FRAME) -> bytes:
    payload = msgpack.packb(message, use_bin_type=True)
    if len(payload) > max_frame:
        raise FrameError(
            ErrorCode.FRAME_TOO_LARGE, f"frame of {len(payload)} bytes exceeds {max_frame}"
        )
    return HEADER.pack(len(payload)) + payload


class FrameDecoder:
    """Incremental decoder: feed it bytes in any chunking, get whole messages.

    The length is checked as soon as the header is complete, so an oversized
    frame is refused before its body is buffered.
    """

    def __init__(self, max_frame: int = DEFAULT_MAX_FRAME) -> None:
        self.max_frame = max_frame  # may be raised once the peer said hello
        self._buffer = bytearray()
        self._expected: int | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    @property
    def expected(self) -> int | None:
        """The announced length of the frame being received, if one is."""
        return self._expected

    @property
    def limits(self) -> Limits:
        return Limits.for_frame(self.max_frame)

    def feed(self, data: bytes) -> list[Message]:
        return [decode_payload(payload, self.limits) for payload in self.payloads(data)]

    def payloads(self, data: bytes, at_most: int | None = None) -> list[bytes | bytearray]:
        """Whole frames' payloads, not yet decoded (the caller may decode
        large ones elsewhere with `decode_payload`). With `at_most`, later
        frames stay buffered (their size is judged once `max_frame` is set)."""
        self._buffer += data
        payloads: list[bytes | bytearray] = []
        while at_most is None or len(payloads) < at_most:
            if self._expected is None:
                if len(self._buffer) < HEADER.size:
                    return payloads
                (length,) = HEADER.unpack_from(self._buffer)
                self._check_length(length)
                del self._buffer[: HEADER.size]
                self._expected = length
            if len(self._buffer) < self._expected:
                return payloads
            if len(self._buffer) == self._expected:
                payloads.append(
                    bytes(self._buffer) if self._expected < _HAND_OVER else self._buffer
                )
                self._buffer = bytearray()  # a large frame's buffer is handed over, not copied
            else:
                with memoryview(self._buffer) as view:
                    payloads.append(bytes(view[: self._expected]))
                del self._buffer[: self._expected]
            self._expected = None
        return payloads

    def _check_length(self, length: int) -> None:
        if length == 0:
            raise FrameError(ErrorCode.BAD_FRAME, "zero-length frame")
        if length > self.max_frame:
            raise FrameError(
                ErrorCode.FRAME_TOO_LARGE, f"frame of {length} bytes exceeds {self.max_frame}"
            )


def decode_payload(payload: bytes | bytearray, limits: Limits | None = None) -> Message:
    limits = limits or Limits.for_frame(max(len(payload), DEFAULT_MAX_FRAME))
    try:
        check_structure(payload, limits)
    except StructureTooLarge as exc:
        raise FrameError(ErrorCode.FRAME_TOO_LARGE, f"frame structure too large: {exc}") from exc
    try:
        message = msgpack.unpackb(
            payload,
            raw=False,
            strict_map_key=True,
            max_array_len=limits.elements,
            max_map_len=limits.elements,
        )
    except Exception as exc:  # msgpack raises several unrelated types for garbage
        raise FrameError(ErrorCode.BAD_FRAME, f"frame is not valid msgpack: {exc}") from exc
    if not isinstance(message, dict):
        raise FrameError(ErrorCode.BAD_FRAME, "frame is not a msgpack map")
    return message
