"""Client-chosen text in log lines: escaped and bounded.

Layer: logging helpers. A request's `op` (or any string a client picks) goes
into a log line only through `log_field`, so a newline cannot forge a line and
a 50 MB string cannot grow the log by 50 MB.
"""

from __future__ import annotations

MAX_FIELD_CHARS = 64
MAX_MESSAGE_CHARS = 8192  # a whole record's message: ours are one short line
MAX_TRACEBACK_CHARS = 16384  # a deep recursion's traceback is hundreds of KB


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


def cut_middle(text: str, limit: int = MAX_TRACEBACK_CHARS) -> str:
    """`text` of at most about `limit` characters: a long traceback keeps its
    head (where it began) and its tail (what was raised)."""
    if len(text) <= limit:
        return text
    head = limit // 4
    return f"{text[:head]}\n... ({len(text) - limit} chars cut) ...\n{text[head - limit :]}"


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A record's message: bounded, and whatever could end or rewrite its line
    (newline, carriage return, escape sequences) shown escaped. Backslashes are
    kept: the message may quote fields that `log_field` escaped already."""
    if len(text) > limit:
        text = f"{text[:limit]}...({len(text)} chars)"
    return "".join(_printable(ch) for ch in text)


def continuation(block: str) -> str:
    """Lines under a record (a traceback): each indented, so none can pass for
    a record of its own, with control characters escaped; bounded."""
    lines = cut_middle(block).split("\n")
    return "\n".join("  " + "".join(_printable(ch) for ch in line) for line in lines)


def _printable(ch: str) -> str:
    return ch if ch.isprintable() or ch == "\t" else _escape(ch)
