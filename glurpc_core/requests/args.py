"""Validation of a request's `args` map: ill-typed or missing -> bad_request."""

from __future__ import annotations

from typing import Any

from glurpc_core.errors import OpError


def required_bytes(args: dict[str, Any], name: str) -> bytes:
    value = args.get(name)
    if not isinstance(value, bytes | bytearray):
        raise OpError.bad_request(f"'{name}' must be binary (msgpack bin)")
    return bytes(value)  # empty is a file like any other: ingestion says invalid_data


def optional_str(
    args: dict[str, Any],
    name: str,
    choices: tuple[str, ...] | None = None,
    default: str | None = None,
) -> str | None:
    value = args.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str):
        raise OpError.bad_request(f"'{name}' must be a string")
    if choices is not None and value not in choices:
        raise OpError.bad_request(f"'{name}' must be one of {', '.join(choices)}, not {value!r}")
    return value


def optional_int(args: dict[str, Any], name: str, default: int) -> int:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise OpError.bad_request(f"'{name}' must be an integer")
    return value


def optional_bool(args: dict[str, Any], name: str, default: bool = False) -> bool:
    value = args.get(name, default)
    if not isinstance(value, bool):
        raise OpError.bad_request(f"'{name}' must be true or false")
    return value
