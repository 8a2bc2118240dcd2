"""Wire protocol, version 1 (see PROTOCOL.md): framing and message shapes.

Layer: bytes <-> msgpack maps. No I/O, no asyncio, no heavy imports: both the
CLI and the daemon use this module. A frame is a 4-byte unsigned big-endian
length N followed by N bytes holding one msgpack map with string keys.
"""

from __future__ import annotations

import struct
from typing import Any

import msgpack

PROTOCOL_VERSION = 1
DEFAULT_MAX_FRAME = 64 * 1024 * 1024
HEADER = struct.Struct(">I")

STAGES = ("queued", "parsing", "inference", "calculating", "rendering")

Message = dict[str, Any]


class ErrorCode:
    """Stable error codes. Clients map codes, never message text, to behaviour."""

    BAD_FRAME = "bad_frame"
    FRAME_TOO_LARGE = "frame_too_large"
    UNSUPPORTED_PROTOCOL = "unsupported_protocol"
    BAD_REQUEST = "bad_request"
    INVALID_DATA = "invalid_data"
    TOO_SHORT = "too_short"
    NOT_FOUND = "not_found"
    INDEX_OUT_OF_RANGE = "index_out_of_range"
    CANCELLED = "cancelled"
    SUPERSEDED = "superseded"
    OVERLOADED = "overloaded"
    SHUTTING_DOWN = "shutting_down"
    PERMISSION_DENIED = "permission_denied"
    INTERNAL = "internal"


ALL_ERROR_CODES = tuple(
    value for name, value in vars(ErrorCode).items() if name.isupper() and isinstance(value, str)
)


class FrameError(Exception):
    """The byte stream broke the framing rules; the connection must be closed."""

    def __init__(self, code: str, message: str) -> None:
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


# Message constructors: one place that spells each message's keys.


def hello(client: str) -> Message:
    return {"type": "hello", "protocol": PROTOCOL_VERSION, "client": client}


def hello_reply(server: str, model: dict[str, Any], device: str) -> Message:
    return {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "server": server,
        "model": model,
        "device": device,
    }


def request(msg_id: int, op: str, args: dict[str, Any] | None = None) -> Message:
    return {"type": "request", "id": msg_id, "op": op, "args": args or {}}


def cancel(msg_id: int) -> Message:
    return {"type": "cancel", "id": msg_id}


def progress(msg_id: int, stage: str, **fields: int) -> Message:
    return {"type": "progress", "id": msg_id, "stage": stage, **fields}


def result(msg_id: int, request_id: int, data: dict[str, Any]) -> Message:
    return {"type": "result", "id": msg_id, "request_id": request_id, "data": data}


def error(
    msg_id: int | None,
    request_id: int | None,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> Message:
    return {
        "type": "error",
        "id": msg_id,
        "request_id": request_id,
        "code": code,
        "message": message,
        "details": details or {},
    }
