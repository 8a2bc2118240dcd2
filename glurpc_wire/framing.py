"""Framing: bytes <-> msgpack maps (docs/PROTOCOL.md "Framing").

A frame is a 4-byte unsigned big-endian length N followed by N bytes holding
one msgpack map with string keys. No I/O: the caller owns the socket.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack

from .codes import ErrorCode

DEFAULT_MAX_FRAME = 64 * 1024 * 1024
HEADER = struct.Struct(">I")

Message = dict[str, Any]


class FrameError(Exception):
    """The byte stream broke the framing rules; the connection must be closed."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


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
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._expected: int | None = None

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        messages: list[Message] = []
        while True:
            if self._expected is None:
                if len(self._buffer) < HEADER.size:
                    return messages
                (length,) = HEADER.unpack_from(self._buffer)
                self._check_length(length)
                del self._buffer[: HEADER.size]
                self._expected = length
            if len(self._buffer) < self._expected:
                return messages
            payload = bytes(self._buffer[: self._expected])
            del self._buffer[: self._expected]
            self._expected = None
            messages.append(decode_payload(payload))

    def _check_length(self, length: int) -> None:
        if length == 0:
            raise FrameError(ErrorCode.BAD_FRAME, "zero-length frame")
        if length > self.max_frame:
            raise FrameError(
                ErrorCode.FRAME_TOO_LARGE, f"frame of {length} bytes exceeds {self.max_frame}"
            )


def decode_payload(payload: bytes) -> Message:
    try:
        message = msgpack.unpackb(payload, raw=False, strict_map_key=True)
    except Exception as exc:  # msgpack raises several unrelated types for garbage
        raise FrameError(ErrorCode.BAD_FRAME, f"frame is not valid msgpack: {exc}") from exc
    if not isinstance(message, dict):
        raise FrameError(ErrorCode.BAD_FRAME, "frame is not a msgpack map")
    return message
