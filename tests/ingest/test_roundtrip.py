"""`convert` of every generated layout, parsed again, equals the direct parse."""

from __future__ import annotations

import numpy as np
import pytest

from glurpc_core.ingest import convert, prepare
from tests.support import synthetic as syn

TRACE = syn.make_trace(days=2, seed=11, gaps=3, duplicates=3, out_of_range=2)
LIBRE = syn.make_trace(days=2, seed=12, step_minutes=15)
LAYOUTS = {
    "dexcom": (syn.to_dexcom(*TRACE, calibrations=2), "dexcom"),
    "dexcom_eu_mmol": (syn.to_dexcom(*TRACE, mmol=True), "dexcom"),
    "libre": (syn.to_libre(*LIBRE, calibrations=1), "libre"),
    "libre_eu_mmol": (syn.to_libre(*LIBRE, mmol=True), "libre"),
    "libre_pro_ampm": (syn.to_libre_pro_ampm(*LIBRE), "libre"),
    "medtronic": (syn.to_medtronic(*TRACE, calibrations=1), "medtronic"),
    "nightscout": (syn.to_nightscout(*TRACE), "nightscout"),
    "unified": (syn.to_unified(*TRACE, calibrations=1), "unified"),
    "generic": (syn.to_generic(*TRACE), "generic"),
    "generic_mmol": (syn.to_generic(*TRACE, columns=("timestamp", "glucose"), mmol=True),
                     "generic"),
}  # fmt: skip


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_convert_then_parse_equals_direct_parse(layout: str) -> None:
    raw, expected_format = LAYOUTS[layout]
    unified, detected = convert(raw)
    assert detected == expected_format
    direct, again = prepare(raw), prepare(unified)
    assert again.source_format == "unified"
    np.testing.assert_array_equal(again.series.times, direct.series.times)
    np.testing.assert_array_equal(again.series.glucose, direct.series.glucose)
    assert again.warnings == direct.warnings
    assert again.digest == direct.digest


def test_mmol_and_mg_dl_exports_give_the_same_series() -> None:
    mg, mmol = prepare(syn.to_dexcom(*TRACE)), prepare(syn.to_dexcom(*TRACE, mmol=True))
    np.testing.assert_array_equal(mg.series.times, mmol.series.times)
    # One decimal of mmol/L is 1.8 mg/dL: the conversion must land within that.
    assert np.max(np.abs(mg.series.glucose - mmol.series.glucose)) <= 0.91


def test_libre_us_dates_with_small_days_are_read_month_first() -> None:
    # cgm-format alone reads 03-04-2024 as 3 April; the adapter reads the whole column.
    prepared = prepare(syn.to_libre(*LIBRE))
    assert prepared.start.startswith("2024-03-04")
    pro = prepare(syn.to_libre_pro_ampm(*LIBRE))
    np.testing.assert_array_equal(pro.series.glucose, prepared.series.glucose)
