"""Client-chosen text in log lines: escaped and bounded.

Layer: logging helpers. A request's `op` (or any string a client picks) goes
into a log line only through `log_field`, so a newline cannot forge a line and
a 50 MB string cannot grow the log by 50 MB.
"""

from __future__ import annotations

MAX_FIELD_CHARS = 64


def log_field(value: object, limit: int = MAX_FIELD_CHARS) -> str:
    """At most `limit` printable characters: non-printables escaped (the
    escapes count), the rest cut with a marker of the original length."""
    text = value if isinstance(value, str) else repr(value)
    head = text[: limit + 1]  # never escape more than can be shown
    escaped = "".join(ch if ch.isprintable() and ch != "\\" else _escape(ch) for ch in head)
    if len(escaped) <= limit and len(text) <= limit:
        return escaped
    marker = f"...({len(text)} chars)"
    return escaped[: max(0, limit - len(marker))] + marker


def _escape(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")
