"""What one parse may cost, judged from the raw bytes before any parser runs
(pure compute: counting bytes with numpy, no decoding, no object per line).

Parsing costs memory per line and per cell, not per byte: the screen holds
every line as a Python string and every row as a list of cells, polars a
column per field. A 30 MB file of `1\\n` lines is 15 million lines and took a
parser past 3 GB; the same bytes as a real export are 1.25 million rows and
take about 500 MB. So a file is refused (`invalid_data`, reason `too_large`)
when it has more lines, cells or line bytes than the bounds below, which keep
every accepted parse within PARSE_MEMORY_BYTES (measured: BENCHMARKS.md). The
daemon also parses any upload with more than CHILD_LINES lines in a child
process held to that memory (engine/parse_child.py), so a parse inside the
daemon itself stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glurpc_core.ingest.errors import IngestError

MAX_LINES = 1_500_000  # five years of 5-minute readings, or a cohort of 14 years
MAX_CELLS = 8_000_000  # delimiters plus lines: a 14-column Dexcom export of 570,000 rows
MAX_LINE_BYTES = 64 * 1024  # no export's row comes near; csv's own field limit is 128 KiB
PARSE_MEMORY_BYTES = 1024 * 1024 * 1024  # what a parse within the bounds may allocate
SCAN_BYTES = 1 << 20
CHILD_LINES = 100_000  # beyond this a parse runs in a child process (about 75 MB in-process)


@dataclass(frozen=True)
class ParseCost:
    lines: int
    cells: int

    @property
    def needs_child(self) -> bool:
        """Too large to parse inside the daemon's own process."""
        return self.lines > CHILD_LINES


def parse_cost(raw: bytes) -> ParseCost:
    """The lines and cells of `raw`, or IngestError(too_large) beyond the bounds."""
    # Old Mac exports end lines with a lone CR: count whichever ending there is more of.
    lines = max(raw.count(b"\n"), raw.count(b"\r")) + 1
    if lines > MAX_LINES:
        raise _too_large(f"{lines} lines; a file may have at most {MAX_LINES}", lines=lines)
    cells = lines + raw.count(b",") + raw.count(b";") + raw.count(b"\t")
    if cells > MAX_CELLS:
        raise _too_large(f"about {cells} cells; a file may have at most {MAX_CELLS}", cells=cells)
    longest = _longest_line(raw)
    if longest > MAX_LINE_BYTES:
        raise IngestError.invalid(
            f"the file has a line of {longest} bytes; a line may have at most"
            f" {MAX_LINE_BYTES} (a binary file, or an unclosed quote?)",
            reason="too_large",
            line_bytes=longest,
        )
    return ParseCost(lines, cells)


def _longest_line(raw: bytes) -> int:
    """In slices, so the scan's own arrays stay a few MiB whatever the upload."""
    data = np.frombuffer(raw, dtype=np.uint8)
    longest, last_end = 0, -1
    for start in range(0, len(data), SCAN_BYTES):
        part = data[start : start + SCAN_BYTES]
        ends = np.flatnonzero((part == ord("\n")) | (part == ord("\r"))) + start
        bounds = np.concatenate(([last_end], ends))
        longest = max(longest, int(np.diff(bounds).max(initial=0)) - 1)
        last_end = int(bounds[-1])
    return max(longest, len(data) - last_end - 1)


def _too_large(what: str, **details: int) -> IngestError:
    return IngestError.invalid(
        f"the file is too large to parse: {what} (split it, one file per subject)",
        reason="too_large",
        **details,
    )
