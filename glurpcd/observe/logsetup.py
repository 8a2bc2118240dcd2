"""How glurpcd writes its log: plain `key=value` lines or one JSON object a
line, on stderr.

Layer: start-up (and SIGHUP, for the level). Every record, a library's
included (cgm-format logs its data warnings; `warnings.warn` is routed to
logging), carries the ids of the requests being served where it was written
(logcontext). When stderr is the journal's stream (`JOURNAL_STREAM` names
its device and inode) no timestamp of our own is added: the journal stamps
each line. A child that merely inherited the variable keeps its timestamps.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from glurpcd.observe.logcontext import current
from glurpcd.observe.logfields import MAX_MESSAGE_CHARS, continuation, cut_middle, one_line

# Keys a record carries by itself; anything else passed as `extra=` is a field.
_RECORD_KEYS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RequestContext(logging.Filter):
    """Adds `request_ids` (possibly empty) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_ids"):
            record.request_ids = current()
        return True


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key, value in vars(record).items() if key not in _RECORD_KEYS}


class PlainFormatter(logging.Formatter):
    """One line a record, whatever text a client put in its message; a
    traceback follows on indented lines (logfields.continuation)."""

    def __init__(self, stamp: bool) -> None:
        super().__init__(("%(asctime)s " if stamp else "") + "%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = logging.makeLogRecord(
            {
                **vars(record),
                "msg": one_line(record.getMessage()),
                "args": None,
                "exc_info": None,
                "exc_text": None,
                "stack_info": None,
            }
        )
        text = super().format(line)
        ids = getattr(record, "request_ids", ())
        if ids and "request_id" not in _fields(record):
            text += " request_id=" + ",".join(map(str, ids))
        below = [self.formatException(record.exc_info)] if record.exc_info else []
        if record.stack_info:
            below.append(self.formatStack(record.stack_info))
        return "\n".join([text, *(continuation(block) for block in below)])


class JsonFormatter(logging.Formatter):
    def __init__(self, stamp: bool) -> None:
        super().__init__()
        self.stamp = stamp

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {}
        if self.stamp:
            entry["time"] = self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
        message = cut_middle(record.getMessage(), MAX_MESSAGE_CHARS)  # JSON escapes the rest
        entry.update(level=record.levelname, logger=record.name, message=message)
        fields = _fields(record)
        ids = fields.pop("request_ids", ())
        if ids and "request_id" not in fields:
            entry["request_id"] = ids[0] if len(ids) == 1 else list(ids)
        entry.update(fields)
        if record.exc_info:
            entry["exception"] = cut_middle(self.formatException(record.exc_info))
        return json.dumps(entry, default=str, separators=(",", ":"))


def journald_captures_stderr() -> bool:
    try:
        device, inode = (int(part) for part in os.environ["JOURNAL_STREAM"].split(":"))
        info = os.fstat(sys.stderr.fileno())
    except (KeyError, ValueError, OSError, AttributeError):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


def configure(level: str, fmt: str) -> None:
    """Replace the root logger's handlers with one stderr handler."""
    stamp = not journald_captures_stderr()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(stamp) if fmt == "json" else PlainFormatter(stamp))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)


def set_level(level: str) -> None:
    logging.getLogger().setLevel(level)
