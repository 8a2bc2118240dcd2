"""Timestamp columns of free-form exports -> naive datetimes (pure compute: polars only).

Vendors and research tables write dates in many locales: day-first or
month-first, `-`, `/` or `.` separators, 24-hour or 12-hour clocks with
AM/PM, an ISO `T`, a trailing `Z` or UTC offset. This module picks ONE format
for a whole column by trying every plausible one on every row: a format wins by
reading every row, and when several do (no day past the 12th), the one that
gives the shortest span of time wins, because a swapped day and month scatters
readings over months; a file within one day is read month-first with an AM/PM
clock and day-first with a 24-hour clock. Times stay naive wall-clock time as written (a UTC offset
is dropped, not applied), like the reference service.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

from glurpc_core.ingest.errors import IngestError

_DATE_ORDERS = ("%d{s}%m{s}%Y", "%m{s}%d{s}%Y")
_OFFSET = r"\s*(Z|[+-]\d{2}:?\d{2}|UTC|GMT)$"


def normalise(column: pl.Series) -> pl.Series:
    """Trimmed text with an ISO `T` turned into a space and any UTC offset dropped."""
    return (
        column.cast(pl.Utf8, strict=False)
        .str.strip_chars()
        .str.replace(r"^(\d{4}-\d{1,2}-\d{1,2})T", "$1 ")
        .str.replace(_OFFSET, "")
    )


def candidate_formats(sample: str) -> list[str]:
    """Formats that could read `sample` (an already normalised timestamp)."""
    date_part, _, clock_part = sample.partition(" ")
    separator = next((s for s in "-/." if s in date_part), None)
    if separator is None:
        return []
    twelve_hour = bool(re.search(r"[AaPp]\.?[Mm]\.?$", clock_part))
    if re.match(r"^\d{4}", date_part):
        dates = [f"%Y{separator}%m{separator}%d"]
    else:
        # Ties (a single day, no day past the 12th) go to the first: AM/PM clocks are
        # mostly US month-first; 24-hour clocks mostly day-first.
        orders = _DATE_ORDERS[::-1] if twelve_hour else _DATE_ORDERS
        dates = [order.format(s=separator) for order in orders]
    colons = clock_part.count(":")
    if twelve_hour:
        clocks = ["%I:%M:%S %p"] if colons >= 2 else ["%I:%M %p"]
    elif colons >= 2:
        clocks = ["%H:%M:%S%.f", "%H:%M:%S"]
    elif colons == 1:
        clocks = ["%H:%M"]
    else:
        clocks = [""]
    return [f"{d} {c}".strip() for d in dates for c in clocks]


def parse_column(
    column: pl.Series, *, name: str, first_line: int, lines: pl.Series | None = None
) -> pl.Series:
    """Datetime[ms] of every non-empty cell; raises IngestError naming the first
    cell no single format can read (`first_line` is the file line of row 0, or
    `lines` gives each row's 0-based data row number when rows were filtered)."""
    text = normalise(column)
    present = text.is_not_null() & (text != "")
    if not present.any():
        raise IngestError.invalid(f"the {name!r} column has no timestamps", column=name)
    sample = str(text.filter(present)[0])
    if re.fullmatch(r"\d{9,13}", sample):
        return _epoch(text, present, name, _line_of(first_line, lines))
    best: pl.Series | None = None
    best_rank = (0, 0)
    for fmt in candidate_formats(sample):
        parsed = text.str.strptime(pl.Datetime("ms"), fmt, strict=False)
        read = int((parsed.is_not_null() & present).sum())
        if read == 0:
            continue
        epoch = parsed.dt.epoch("ms").drop_nulls()
        span = int(epoch.max()) - int(epoch.min())  # type: ignore[arg-type]
        rank = (read, -span)  # most rows read, then the shortest span
        if best is None or rank > best_rank:
            best, best_rank = parsed, rank
    if best is None:
        _raise_unreadable(text, present, name, _line_of(first_line, lines))
    assert best is not None
    unread = present & best.is_null()
    if unread.any():
        _raise_unreadable(text, unread, name, _line_of(first_line, lines))
    return best


def _epoch(
    text: pl.Series, present: pl.Series, name: str, line_of: Callable[[int], int]
) -> pl.Series:
    """Unix time in seconds (9-10 digits) or milliseconds (12-13 digits), as UTC wall time."""
    numbers = text.cast(pl.Int64, strict=False)
    unread = present & numbers.is_null()
    if unread.any():
        _raise_unreadable(text, unread, name, line_of)
    scale = 1 if len(str(text.filter(present)[0])) >= 12 else 1000
    return (numbers * scale).cast(pl.Datetime("ms"))


def _line_of(first_line: int, lines: pl.Series | None) -> Callable[[int], int]:
    def line(row: int) -> int:
        return first_line + (int(lines[row]) if lines is not None else row)

    return line


def _raise_unreadable(
    text: pl.Series, unread: pl.Series, name: str, line_of: Callable[[int], int]
) -> None:
    row = int(unread.arg_true()[0])
    value = str(text[row])[:80]
    line = line_of(row)
    raise IngestError.invalid(
        f"cannot read the timestamp {value!r} in column {name!r} at line {line}",
        reason="unparseable_timestamp",
        line=line,
        column=name,
        value=value,
    )
