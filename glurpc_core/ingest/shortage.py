"""The `too_short` error: no stretch is long enough for one window (pure data)."""

from __future__ import annotations

import numpy as np

from glurpc_core.errors import ErrorCode
from glurpc_core.ingest.accounting import Accounting
from glurpc_core.ingest.errors import IngestError
from glurpc_core.series import INPUT_STEPS, WINDOW_STEPS


def too_short_error(points: np.ndarray, accounting: Accounting) -> IngestError:
    if accounting.valid < 2:
        return IngestError.invalid(
            f"the file holds {accounting.valid} usable glucose reading(s); a series needs many",
            reason="no_readings" if accounting.valid == 0 else "one_reading",
            readings=accounting.valid,
            accounting=accounting.rows_to_wire(),
        )
    best, last = int(points.max()), int(points[-1])
    return IngestError(
        ErrorCode.TOO_SHORT,
        f"the longest continuous stretch of data is {best * 5} minutes ({best} points at "
        f"5-minute steps) and the last {last * 5} minutes; a window with a known next hour "
        f"needs {WINDOW_STEPS * 5} minutes ({WINDOW_STEPS} points) without a gap over 15 "
        f"minutes, and the hour after the data the last {INPUT_STEPS * 5} minutes",
        {
            "points": best,
            "minutes": best * 5,
            "last_points": last,
            "required_points": WINDOW_STEPS,
            "required_minutes": WINDOW_STEPS * 5,
            "ahead_required_points": INPUT_STEPS,
            "sequences": len(points),
            "accounting": accounting.rows_to_wire(),
        },
    )
