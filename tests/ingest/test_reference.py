"""Our numpy preparation equals cgm-format's own pipeline, as the reference service runs it.

The reference (gluRPC 0.6.3) prepares with cgm-format's FormatProcessor:
sequences, gap interpolation, grid synchronisation, the latest sequence of at
least 540 minutes, glucose-only rows with duplicates merged. We reimplement it
in numpy (linear time, no truncation to 1080 minutes); this pins the two
together on seeded traces with gaps, duplicates, excursions and 15-minute data.
Known differences: readings that share one 5-minute slot without sharing a
timestamp (a fall daylight-saving change) are interpolated through here and
merged by cgm-format, so values there may differ by a few mg/dL; and the
grid starts on the first whole minute at or after the readings' slots rather
than at the first reading rounded to the minute (so that a reading a few
seconds past a round minute is not left out of the window ending there): a
stretch's grid may sit one minute later than the reference's, its values then
the same polyline read a minute later.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from cgm_format import FormatParser, FormatProcessor

from glurpc_core.ingest import PrepareSettings, prepare
from tests.support import synthetic as syn

CASES = {
    "clean": syn.to_dexcom(*syn.make_trace(days=1.5, seed=4)),
    "gaps": syn.to_dexcom(*syn.make_trace(days=2, seed=5, gaps=4)),
    "duplicates": syn.to_dexcom(*syn.make_trace(days=1.5, seed=6, duplicates=5)),
    "high_low": syn.to_dexcom(*syn.make_trace(days=1.5, seed=7, out_of_range=3)),
    "spring_dst": syn.to_dexcom(*syn.make_trace(days=2, seed=9, dst="spring")),
    "everything": syn.to_dexcom(
        *syn.make_trace(days=2, seed=9, gaps=6, duplicates=4, out_of_range=2)
    ),
    # Day-first EU layout: cgm-format alone misreads US month-first stamps when day <= 12.
    "libre_15_minutes": syn.to_libre(*syn.make_trace(days=2, seed=8, step_minutes=15), mmol=True),
}


def _reference(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    text = FormatParser.decode_raw_data(raw)
    frame = FormatParser.parse_to_unified(text, FormatParser.detect_format(text))
    frame = FormatProcessor.detect_and_assign_sequences(frame)
    frame = FormatProcessor.interpolate_gaps(frame)
    frame = FormatProcessor.synchronize_timestamps(frame)
    # Minimum 540 as the reference; no truncation, as glurpc keeps the whole sequence.
    result = FormatProcessor.prepare_for_inference(frame, 540, 10**7)
    kept = result[0] if isinstance(result, tuple) else result
    data = FormatProcessor.to_data_only_df(kept, drop_duplicates=True, glucose_only=True)
    times = data["datetime"].cast(pl.Datetime("ms")).dt.epoch("s").to_numpy()
    return times.astype("datetime64[s]"), data["glucose"].to_numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_series_as_cgm_format_pipeline(name: str) -> None:
    raw = CASES[name]
    times, glucose = _reference(raw)
    # The reference keeps the latest stretch and writes High/Low as 401/39 mg/dL;
    # glurpc keeps them at the device limits, which moves points interpolated next
    # to them by under 1 mg/dL.
    series = prepare(raw, PrepareSettings(sequence="latest")).series
    shift = (series.times - times).astype(np.int64)
    assert shift[0] in (0, 60) and np.all(shift == shift[0])
    clipped = np.clip(glucose, 40, 400)
    near_limit = np.convolve(clipped != glucose, np.ones(3), mode="same") > 0
    if shift[0]:  # the reference's polyline a minute later: equal where it is straight
        ref_s, ours_s = times.astype(np.int64), series.times.astype(np.int64)
        glucose = np.interp(ours_s, ref_s, glucose)
        clipped = np.interp(ours_s, ref_s, clipped)
        tolerance = 2.0
    else:
        tolerance = 1e-3
    np.testing.assert_allclose(series.glucose, clipped, rtol=0, atol=1.0 + tolerance)
    np.testing.assert_allclose(series.glucose[~near_limit], glucose[~near_limit], atol=tolerance)
