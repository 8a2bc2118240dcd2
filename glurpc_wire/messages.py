"""Message shapes, version 1 (docs/PROTOCOL.md): one place that spells each
message's keys, for both sides."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from .codes import ErrorCode
from .framing import Message

PROTOCOL_VERSION = 1


class Stage(StrEnum):
    """What a request is waiting for, in `progress` frames."""

    QUEUED = "queued"
    PARSING = "parsing"
    INFERENCE = "inference"
    CALCULATING = "calculating"
    RENDERING = "rendering"


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


def progress(msg_id: int, stage: Stage, **fields: int) -> Message:
    return {"type": "progress", "id": msg_id, "stage": str(stage), **fields}


def result(msg_id: int, request_id: int, data: dict[str, Any]) -> Message:
    return {"type": "result", "id": msg_id, "request_id": request_id, "data": data}


def error(
    msg_id: int | None,
    request_id: int | None,
    code: ErrorCode,
    message: str,
    details: dict[str, Any] | None = None,
) -> Message:
    return {
        "type": "error",
        "id": msg_id,
        "request_id": request_id,
        "code": str(code),
        "message": message,
        "details": details or {},
    }
