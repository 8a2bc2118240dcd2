"""Seeded synthetic CGM data for tests, benches and examples (never real data).

    times, values = make_trace(days=2, seed=1)          # naive local datetimes, mg/dL
    raw = to_dexcom(times, values, mmol=True, calibrations=2)

One writer per export layout; each returns the bytes of a file that the
ingestion layer (and, except Libre Pro, cgm-format alone) accepts.
"""

from tests.support.synthetic.open_formats import to_generic, to_nightscout, to_unified
from tests.support.synthetic.trace import DEFAULT_START, make_trace
from tests.support.synthetic.vendor import to_dexcom, to_libre, to_libre_pro_ampm, to_medtronic

__all__ = [
    "DEFAULT_START",
    "make_trace",
    "to_dexcom",
    "to_generic",
    "to_libre",
    "to_libre_pro_ampm",
    "to_medtronic",
    "to_nightscout",
    "to_unified",
]
