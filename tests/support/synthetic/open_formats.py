"""Open layouts for synthetic traces (test data only: text formatting, no I/O).

Nightscout (nightscout-exporter CSV), the unified CSV of cgm-format, and the
generic research table (`time,gl` with an optional subject id column, as in
iglu's example data). Values beyond the sensor range are clipped and flagged
where the layout can say so. Never used on real data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from .trace import SENSOR_HIGH, SENSOR_LOW
from .vendor import MMOL_PER_MGDL, calibration_positions

_UNIFIED_HEADER = (
    "sequence_id,original_datetime,original_glucose,quality,event_type,datetime,glucose,"
    "carbs,insulin_slow,insulin_fast,exercise"
)


def to_nightscout(times: Sequence[datetime], values: np.ndarray) -> bytes:
    """A nightscout-exporter CSV (entries section, en-US 12-hour timestamps)."""
    lines = ["# CGM ENTRIES", "Date,Time,Glucose (mg/dL),Type,Device,Trend,ID"]
    for position, (when, value) in enumerate(zip(times, values, strict=True)):
        date = f"{when.month}/{when.day}/{when.year}"
        clock = when.strftime("%I:%M:%S %p").lstrip("0")
        glucose = int(np.clip(round(float(value)), SENSOR_LOW - 1, SENSOR_HIGH + 1))
        lines.append(f"{date},{clock},{glucose},sgv,xDrip-DexcomG6,Flat,syn{position:08d}")
    return ("\n".join(lines) + "\n").encode()


def to_unified(times: Sequence[datetime], values: np.ndarray, *, calibrations: int = 0) -> bytes:
    """cgm-format's unified CSV: readings beyond the sensor range are written as
    39 / 401 mg/dL with the out-of-range quality flag, as its Dexcom parser does."""
    lines = [_UNIFIED_HEADER]
    fingersticks = set(calibration_positions(calibrations, len(times)))
    for position, (when, value) in enumerate(zip(times, values, strict=True)):
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000")
        flagged = not SENSOR_LOW <= value <= SENSOR_HIGH
        glucose = float(np.clip(value, SENSOR_LOW - 1, SENSOR_HIGH + 1))
        quality = 1 if flagged else 0
        lines.append(f"0,{stamp},{glucose},{quality},EGV_READ,{stamp},{glucose},,,,")
        if position in fingersticks:
            strip = float(np.clip(value, 60, 300)) + 4
            lines.append(f"0,{stamp},{strip},0,CALIBRAT,{stamp},{strip},,,,")
    return ("\n".join(lines) + "\n").encode()


def to_generic(
    times: Sequence[datetime],
    values: np.ndarray,
    *,
    columns: tuple[str, str] = ("time", "gl"),
    subject: str | None = None,
    mmol: bool = False,
    header: bool = True,
) -> bytes:
    """A plain research table: a time column and a glucose column, and an `id`
    column first when `subject` is given. Concatenate several with `header=False`
    after the first to build a cohort file."""
    time_column, glucose_column = columns
    lines = []
    if header:
        lines.append(("id," if subject is not None else "") + f"{time_column},{glucose_column}")
    prefix = f"{subject}," if subject is not None else ""
    for when, value in zip(times, values, strict=True):
        clipped = float(np.clip(value, SENSOR_LOW, SENSOR_HIGH))
        glucose = f"{clipped * MMOL_PER_MGDL:.2f}" if mmol else str(int(round(clipped)))
        lines.append(f"{prefix}{when.strftime('%Y-%m-%d %H:%M:%S')},{glucose}")
    return ("\n".join(lines) + "\n").encode()
