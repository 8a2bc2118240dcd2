"""Where every row of an upload went, and the warnings that follow (pure data: numpy).

`rows` (the table's non-empty rows below its header) always equals the sum of
the categories: `used` (readings in the stretches kept), `too_short` (in
stretches shorter than one window), `not_selected` (in stretches left out by
`sequence=latest|longest`), `duplicate` (a timestamp seen before: merged),
`out_of_range`, `unparseable` (no usable value, cut short, truncated),
`calibration` (fingersticks) and `other` (rows that are not glucose: device
info, alerts, insulin, carbs). The categories describe the bytes uploaded, so
they travel with the upload, never with the prepared series.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from glurpc_core.ingest.flags import FLAGS, DataWarning, calibration_warning, warning
from glurpc_core.ingest.readings import Readings
from glurpc_core.ingest.screen import Screened
from glurpc_core.series import WINDOW_STEPS

CATEGORIES = (
    "used", "too_short", "not_selected", "duplicate", "out_of_range", "unparseable",
    "calibration", "other",
)  # fmt: skip
STEP_MS = 300_000


def iso_ms(ms: int) -> str:
    """Naive local time in ms -> ISO 8601 to the second."""
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Stretch:
    start_ms: int  # first reading
    end_ms: int  # last reading
    readings: int
    points: int  # on the 5-minute grid
    kept: bool

    @property
    def windows(self) -> int:
        return max(0, self.points - WINDOW_STEPS + 1)

    def to_wire(self) -> dict[str, Any]:
        return {
            "start": iso_ms(self.start_ms),
            "end": iso_ms(self.end_ms),
            "readings": self.readings,
            "points": self.points,
            "windows": self.windows if self.kept else 0,
            "used": self.kept,
        }


@dataclass(frozen=True)
class Accounting:
    rows: int
    readings: int  # sensor glucose rows the parser produced
    valid: int  # of those, with a usable value
    calibration: int
    duplicate: int
    cut_lines: tuple[int, ...] = ()
    truncated_lines: tuple[int, ...] = ()
    out_of_range_lines: tuple[int, ...] = ()
    stretches: tuple[Stretch, ...] = ()
    # (imputed points, readings sharing a slot, clipped points, warm-up points)
    grid: tuple[int, int, int, int] = (0, 0, 0, 0)
    fingersticks_in_series: int = 0
    quality_flagged: int = 0  # usable readings the file itself flags (quality bits)
    other: int = field(init=False)

    def __post_init__(self) -> None:
        dropped = len(self.cut_lines) + len(self.truncated_lines) + len(self.out_of_range_lines)
        known = self.readings + self.calibration + dropped
        object.__setattr__(self, "other", max(0, self.rows - known))
        object.__setattr__(self, "rows", max(self.rows, known))

    @classmethod
    def from_rows(
        cls,
        screened: Screened | None,
        *,
        readings: int,
        valid: int,
        calibrations: int,
        duplicates: int,
        quality_flagged: int,
    ) -> Accounting:
        if screened is None:  # JSON: every entry is a row
            return cls(
                readings + calibrations, readings, valid, calibrations, duplicates,
                quality_flagged=quality_flagged,
            )  # fmt: skip
        return cls(
            screened.data_rows if screened.data_rows is not None else 0,
            readings,
            valid,
            calibrations,
            duplicates,
            screened.cut_lines,
            screened.truncated_lines,
            screened.out_of_range_lines,
            quality_flagged=quality_flagged,
        )

    def with_stretches(
        self,
        stretches: list[Stretch],
        grid: tuple[int, int, int, int] | tuple[()],
        readings: Readings,
    ) -> Accounting:
        events = readings.calibrations_ms
        inside = 0
        for stretch in stretches:
            if stretch.kept:
                span = (events >= stretch.start_ms - STEP_MS) & (events <= stretch.end_ms + STEP_MS)
                inside += int(span.sum())
        return replace(
            self,
            stretches=tuple(stretches),
            grid=grid or (0, 0, 0, 0),
            fingersticks_in_series=inside,
        )

    def categories(self) -> dict[str, int]:
        def readings_where(test: Any) -> int:
            return sum(s.readings for s in self.stretches if test(s))

        # A reading that shared a 5-minute slot of a used stretch with another was
        # merged into it: it counts as a duplicate, as the time_duplicates warning
        # says, not as used (the categories still add up to the rows).
        shared = self.grid[1]
        return {
            "used": readings_where(lambda s: s.kept) - shared,
            # A last stretch of 8 to 9 hours is used (for the hour after it) when
            # no stretch holds a whole window: it is not also too short.
            "too_short": readings_where(lambda s: not s.kept and s.points < WINDOW_STEPS),
            "not_selected": readings_where(lambda s: not s.kept and s.points >= WINDOW_STEPS),
            "duplicate": self.duplicate + shared,
            "out_of_range": len(self.out_of_range_lines),
            "unparseable": self.readings - self.valid + len(self.cut_lines)
            + len(self.truncated_lines),
            "calibration": self.calibration,
            "other": self.other,
        }  # fmt: skip

    def rows_to_wire(self) -> dict[str, int]:
        return {"rows": self.rows, **self.categories()}

    def to_wire(self) -> dict[str, Any]:
        return {
            "accounting": self.rows_to_wire(),
            "stretches": [stretch.to_wire() for stretch in self.stretches],
        }

    def warnings(self) -> tuple[DataWarning, ...]:
        """One warning per flag that applies, in FLAGS order."""
        imputed, _, clipped, warmup = self.grid
        counts = self.categories()
        found = {
            "too_short": warning("too_short", counts["too_short"]),
            "quality": warning("quality", self.readings - self.valid + self.quality_flagged),
            "imputation": warning("imputation", imputed),
            "out_of_range": warning(
                "out_of_range", counts["out_of_range"], self.out_of_range_lines
            ),
            "time_duplicates": warning("time_duplicates", counts["duplicate"]),
            "cut_rows": warning("cut_rows", len(self.cut_lines), self.cut_lines),
            "truncated_line": warning(
                "truncated_line", len(self.truncated_lines), self.truncated_lines
            ),
            "clipped": warning("clipped", clipped),
            "calibration": calibration_warning(self.fingersticks_in_series, warmup),
        }
        return tuple(found[flag] for flag in FLAGS if found[flag].count)
