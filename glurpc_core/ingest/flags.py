"""Data-quality warnings with stable flags (pure data: no I/O).

An upload carries one `DataWarning` per flag that applies, each with a count,
a sentence and, for rows dropped before parsing, their line numbers. The six
flags of the reference contract (docs/PROTOCOL.md) keep their meaning: `too_short`,
`calibration`, `quality`, `imputation`, `out_of_range`, `time_duplicates`.
Three are glurpc's own: `cut_rows` (rows with fewer cells than the header,
never read), `truncated_line` (a last line cut off without its newline) and
`clipped` (sensor High/Low held at the device limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FLAGS = (
    "too_short", "calibration", "quality", "imputation", "out_of_range", "time_duplicates",
    "cut_rows", "truncated_line", "clipped",
)  # fmt: skip
MAX_LINES = 200  # line numbers listed per warning; the count is always exact

SENTENCES = {
    "too_short": "readings lie in stretches shorter than one forecast window (540 minutes "
    "between gaps over 15 minutes) and are not used",
    "quality": "readings had no usable glucose value (not used) or carried quality flags",
    "imputation": "points were interpolated across gaps of up to 15 minutes",
    "out_of_range": "rows held a glucose value outside the device's 40-400 mg/dL reporting "
    "range and were not used",
    "time_duplicates": "readings repeated a timestamp or shared a 5-minute slot with another "
    "(e.g. a daylight-saving clock change) and were merged",
    "cut_rows": "rows had fewer cells than the header (cut short) and were not read",
    "truncated_line": "last line was cut off without its newline and was not read",
    "clipped": "points are sensor High/Low readings, kept at the 40/400 mg/dL device limits",
}


@dataclass(frozen=True)
class DataWarning:
    flag: str
    message: str
    count: int
    lines: tuple[int, ...] = field(default=())

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"flag": self.flag, "message": self.message, "count": self.count}
        if self.lines:
            wire["lines"] = list(self.lines[:MAX_LINES])
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> DataWarning:
        lines = tuple(int(n) for n in wire.get("lines", ()))
        return cls(str(wire["flag"]), str(wire["message"]), int(wire["count"]), lines)


def warning(flag: str, count: int, lines: tuple[int, ...] = ()) -> DataWarning:
    return DataWarning(flag, f"{count} {SENTENCES[flag]}", count, lines)


def calibration_warning(fingersticks: int, warmup: int) -> DataWarning:
    parts = []
    if fingersticks:
        parts.append(f"{fingersticks} fingerstick calibration(s) during the series")
    if warmup:
        parts.append(
            f"{warmup} points within 24 hours of a sensor gap of 2 h 45 min or more "
            "(a new sensor may still be settling)"
        )
    return DataWarning("calibration", "; ".join(parts), fingersticks + warmup)
