"""Data-quality warnings with stable flags (pure data: no I/O).

A prepared upload carries one `DataWarning` per flag that applies, each with a
count and a sentence. The flags are part of the wire contract (docs/PROTOCOL.md):
`too_short`, `calibration`, `quality`, `imputation`, `out_of_range`,
`time_duplicates`. Counts refer to the chosen sequence, except `quality`
(readings dropped anywhere in the file) and `too_short` (readings in stretches
too short to use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FLAGS = ("too_short", "calibration", "quality", "imputation", "out_of_range", "time_duplicates")


@dataclass(frozen=True)
class DataWarning:
    flag: str
    message: str
    count: int

    def to_wire(self) -> dict[str, Any]:
        return {"flag": self.flag, "message": self.message, "count": self.count}


def describe(counts: dict[str, int], calibration: tuple[int, int]) -> tuple[DataWarning, ...]:
    """Warnings in FLAGS order for every non-zero count."""
    out = []
    if counts["too_short"]:
        out.append(
            DataWarning(
                "too_short",
                f"{counts['too_short']} readings lie in stretches shorter than one forecast "
                "window (540 minutes between gaps over 15 minutes) and are not used",
                counts["too_short"],
            )
        )
    fingersticks, warmup = calibration
    if fingersticks or warmup:
        parts = []
        if fingersticks:
            parts.append(f"{fingersticks} fingerstick calibration(s) during the series")
        if warmup:
            parts.append(
                f"{warmup} points within 24 hours of a sensor gap of 2 h 45 min or more "
                "(a new sensor may still be settling)"
            )
        out.append(DataWarning("calibration", "; ".join(parts), fingersticks + warmup))
    sentences = {
        "quality": "readings had no usable glucose value or carried quality flags",
        "imputation": "points were interpolated across gaps of up to 15 minutes",
        "out_of_range": "readings were outside the sensor's 40-400 mg/dL range "
        "(High/Low are kept as 401/39 mg/dL)",
        "time_duplicates": "readings repeated a timestamp or shared a 5-minute slot with "
        "another (e.g. a daylight-saving clock change) and were merged",
    }
    for flag, sentence in sentences.items():
        if counts[flag]:
            out.append(DataWarning(flag, f"{counts[flag]} {sentence}", counts[flag]))
    return tuple(out)
