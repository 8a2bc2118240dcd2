"""Rows that must never become readings, removed before any parser sees the text
(pure compute: stdlib csv only).

Parsers are generous: a row cut short inside its glucose cell (`...,EGV,,,,G6,1`
where the value was 10.4) parses as a reading of 1 mmol/L, and a value beyond
the sensor's reporting range parses like any other number. This layer finds
the table's header (the first line naming a glucose column), then drops:
- a row with fewer cells than the header that reaches a glucose cell (cut short);
- a last line without its newline that has fewer cells than the header (truncated);
- a row whose glucose is a number outside the device's 40-400 mg/dL range
  (sensor High/Low words, the 39/401 codes some exports use for them, and rows
  a unified file flags as out of range are kept: preparation clips and flags them).
Each dropped row is counted with its 1-based line number. It also reports the
delimiter, the unit the file was recorded in, and how many rows the table has,
so preparation can account for every row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from glurpc_core.series import MGDL_PER_MMOL

HEADER_SEARCH_LINES = 40
_GLUCOSE_KEY = re.compile(
    r"^(glucose_value|historic_glucose|scan_glucose|sensor_glucose|glucose|gl|sgv|cgm)"
    r"(_(mg_dl|mmol_l|mgdl|mmol))?$"
)
DEVICE_RANGE = (40.0, 400.0)
SLACK = 0.5  # mmol/L exports round the limits (2.2 mmol/L is 39.6 mg/dL)
LOW_HIGH_CODES = (39.0, 401.0)  # how cgm-format and Nightscout write Low and High
MMOL_CEILING = 35.0  # no mg/dL trace stays below this; every mmol/L trace does
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def column_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().strip('"').lower()).strip("_")


@dataclass(frozen=True)
class Screened:
    text: str  # the input without the dropped rows
    delimiter: str
    unit: str | None  # "mg/dL" or "mmol/L"; None when no glucose column was found
    data_rows: int | None  # non-empty rows below the header; None without a header
    cut_lines: tuple[int, ...] = ()
    truncated_lines: tuple[int, ...] = ()
    out_of_range_lines: tuple[int, ...] = ()
    dropped: int = field(init=False)

    def __post_init__(self) -> None:
        total = len(self.cut_lines) + len(self.truncated_lines) + len(self.out_of_range_lines)
        object.__setattr__(self, "dropped", total)


def delimiter_of(line: str) -> str:
    return max(DELIMITERS, key=line.count)


def screen_rows(text: str) -> Screened:
    """`text` with `\\n` line endings; never raises for any input."""
    lines = text.split("\n")
    found = _find_header(lines)
    if found is None:
        first = next((line for line in lines[:HEADER_SEARCH_LINES] if line.strip()), "")
        return Screened(text, delimiter_of(first), None, None)
    at, header, delimiter = found
    glucose_cols = [i for i, name in enumerate(header) if _GLUCOSE_KEY.match(column_key(name))]
    quality_col = next((i for i, n in enumerate(header) if column_key(n) == "quality"), None)
    named = " ".join(column_key(header[i]) for i in glucose_cols)
    ends_with_newline = text.endswith("\n")
    last = max((i for i, line in enumerate(lines) if line.strip()), default=at)
    rows = [(i, _cells(lines[i], delimiter)) for i in range(at + 1, len(lines)) if lines[i].strip()]
    values = [
        _number(cells[c], delimiter) for _, cells in rows for c in glucose_cols if c < len(cells)
    ]
    numeric = [v for v in values if v is not None]
    mmol = "mmol" in named or ("mg" not in named and bool(numeric) and max(numeric) <= MMOL_CEILING)
    factor = MGDL_PER_MMOL if mmol else 1.0
    cut, truncated, beyond, drop = [], [], [], set()
    for index, cells in rows:
        short = len(cells) < len(header)
        if short and index == last and not ends_with_newline:
            truncated.append(index + 1)
        elif short and any(c < len(cells) for c in glucose_cols):
            cut.append(index + 1)
        elif _beyond_range(cells, glucose_cols, quality_col, delimiter, factor):
            beyond.append(index + 1)
        else:
            continue
        drop.add(index)
    kept = "\n".join(line for i, line in enumerate(lines) if i not in drop) if drop else text
    return Screened(
        kept,
        delimiter,
        "mmol/L" if mmol else "mg/dL",
        len(rows),
        tuple(cut),
        tuple(truncated),
        tuple(beyond),
    )


def _find_header(lines: list[str]) -> tuple[int, list[str], str] | None:
    for index, line in enumerate(lines[:HEADER_SEARCH_LINES]):
        delimiter = delimiter_of(line)
        cells = _cells(line, delimiter)
        if any(_GLUCOSE_KEY.match(column_key(cell)) for cell in cells):
            return index, cells, delimiter
    return None


def _cells(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def _number(cell: str, delimiter: str) -> float | None:
    text = cell.strip().strip('"')
    if delimiter != "," or text.count(",") == 1:
        text = text.replace(",", ".")  # a decimal comma
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # NaN is not a number here


def _beyond_range(
    cells: list[str], columns: list[int], quality: int | None, delimiter: str, factor: float
) -> bool:
    if quality is not None and quality < len(cells) and _number(cells[quality], delimiter):
        return False  # flagged by the file itself: a High/Low kept at the limit
    for column in columns:
        value = _number(cells[column], delimiter) if column < len(cells) else None
        if value is None or (factor == 1.0 and value in LOW_HIGH_CODES):
            continue
        mgdl = value * factor
        if not DEVICE_RANGE[0] - SLACK <= mgdl <= DEVICE_RANGE[1] + SLACK:
            return True
    return False
