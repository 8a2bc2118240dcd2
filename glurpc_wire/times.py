"""The one rule for a time a user names (`--at`, the wire's `at`), shared by
the CLI, which refuses a bad one before connecting, and the daemon, which
refuses it for any other client (stdlib only: the CLI imports it).

A file's times are on its own clock, whose zone is unknown (ingestion keeps
local times as written), so a time with a UTC offset cannot be converted,
and ignoring the offset would pick a window hours away from the instant
meant: it is refused, not guessed at.
"""

from __future__ import annotations

from datetime import datetime


def local_time(text: str) -> datetime:
    """`text` as a zone-less ISO 8601 time; ValueError saying what is wrong."""
    shown = repr(text[:40])
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{shown} is not an ISO 8601 time like 2024-03-05T14:30") from None
    if when.tzinfo is not None:
        raise ValueError(
            f"{shown} carries a UTC offset, but the file's times have no zone: "
            "give the time as the file shows it, without an offset or Z"
        )
    return when
