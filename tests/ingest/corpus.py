"""Malformed and edge-case CGM uploads, each with the answer it must get.

`expected` is an error code (`invalid_data`, `too_short`) when `kind` is
"error", or, when `kind` is "warning", a flag that must be among the prepared
data's warnings (`too_short` is both: a file with no window is an error, a file
with a short stretch beside a long one gets the warning). Built
from seeded generators at import (a few ms), so the lead can replay every case
through the real daemon: `for case in CORPUS: ... case.data ... case.expected`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.support.synthetic import (
    make_trace,
    to_dexcom,
    to_generic,
    to_libre,
    to_libre_pro_ampm,
    to_medtronic,
    to_unified,
)

INVALID, SHORT = "invalid_data", "too_short"


@dataclass(frozen=True)
class CorpusCase:
    name: str
    data: bytes
    expected: str
    kind: str = "error"  # "error" or "warning"
    subject: str | None = None


def _day(seed: int = 7, **knobs: object) -> tuple[list[datetime], object]:
    return make_trace(days=1.5, seed=seed, **knobs)  # type: ignore[arg-type]


def _generic_rows(rows: list[str], header: str = "time,gl") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def _errors() -> list[CorpusCase]:
    times, values = _day()
    dexcom = to_dexcom(times, values)
    header_and_meta = b"\n".join(dexcom.split(b"\n")[:11]) + b"\n"
    bad_dexcom = dexcom.replace(b"2024-03-04T05:", b"2024-13-45T05:")
    libre = to_libre(*make_trace(days=1.5, seed=3, step_minutes=15))
    bad_libre = libre.replace(b"03-04-2024 06:00", b"sometime today")
    start = datetime(2024, 3, 4)
    stamps = [(start + timedelta(minutes=5 * k)).isoformat(" ") for k in range(200)]
    return [
        CorpusCase("empty", b"", INVALID),
        CorpusCase("blank_lines", b"\n \n\t\n", INVALID),
        CorpusCase("binary_nul", bytes(range(256)) * 8, INVALID),
        CorpusCase("zip_archive", b"PK\x03\x04" + bytes(60), INVALID),
        CorpusCase("png_image", b"\x89PNG\r\n\x1a\n" + bytes(40), INVALID),
        CorpusCase("html_page", b"<!DOCTYPE html><html><body>Sign in</body></html>", INVALID),
        CorpusCase("xml_doc", b'<?xml version="1.0"?><entries></entries>', INVALID),
        CorpusCase("prose", b"Dear doctor,\nplease find my numbers attached.\n", INVALID),
        CorpusCase("wrong_columns", b"name,age\nalice,31\nbob,42\n", INVALID),
        CorpusCase("header_only_generic", b"time,gl\n", INVALID),
        CorpusCase("one_row", _generic_rows([f"{stamps[0]},120"]), INVALID),
        CorpusCase("all_glucose_missing", _generic_rows([f"{s}," for s in stamps]), INVALID),
        CorpusCase("glucose_not_numbers", _generic_rows([f"{s},abc" for s in stamps]), INVALID),
        CorpusCase(
            "unparseable_dates", _generic_rows([f"day {k},120" for k in range(50)]), INVALID
        ),
        CorpusCase(
            "one_bad_date_in_many",
            _generic_rows([f"{s},120" for s in stamps[:50]] + ["not a date,120"]),
            INVALID,
        ),
        CorpusCase("dexcom_header_only", header_and_meta, INVALID),
        CorpusCase("dexcom_bad_timestamps", bad_dexcom, INVALID),
        CorpusCase("libre_bad_timestamp", bad_libre, INVALID),
        CorpusCase("nightscout_error_json", b'{"status": 401, "message": "Unauthorized"}', INVALID),
        CorpusCase("nightscout_empty_json", b"[]", INVALID),
        CorpusCase("truncated_json", b'[{"sgv": 120, "dateString": "2024-03-04T00:00', INVALID),
        CorpusCase(
            "several_subjects",
            to_generic(times, values, subject="a")
            + to_generic(times, values, subject="b", header=False),
            INVALID,
        ),
        CorpusCase(
            "unknown_subject", to_generic(times, values, subject="a"), INVALID, subject="zz"
        ),
        CorpusCase("deeply_nested_json", b"[" * 100_000 + b"]" * 100_000, INVALID),
        CorpusCase("one_huge_line", b"time,gl," + b"x" * 2_000_000, INVALID),
        CorpusCase(
            "huge_header", b",".join(b"c%d" % i for i in range(50_000)) + b"\n1,2\n", INVALID
        ),
        CorpusCase(
            "unterminated_quote",
            b'time,gl\n"2024-03-04 00:00:00,120\n' + b"2024-03-04 00:05:00,120\n" * 2000,
            INVALID,
        ),
        CorpusCase("control_characters", b"time,gl\n" + bytes(range(1, 9)) * 200, INVALID),
        CorpusCase("medtronic_no_sensor_values", to_medtronic(times, values * 0 + 500), INVALID),
    ]


def _short() -> list[CorpusCase]:
    six_hours = make_trace(days=0.25, seed=4)
    start = datetime(2024, 3, 4)
    # 95 points: one short of the 8 hours the hour after the data needs (107 points,
    # one short of a whole window, still serve that hour).
    just_short = [(start + timedelta(minutes=5 * k)).isoformat(" ") for k in range(95)]
    gappy = [start + timedelta(minutes=5 * k + 20 * (k // 60)) for k in range(400)]
    return [
        CorpusCase("six_hours", to_dexcom(*six_hours), SHORT),
        CorpusCase("95_points", _generic_rows([f"{s},110" for s in just_short]), SHORT),
        CorpusCase("gap_every_5h", to_generic(gappy, [100.0] * len(gappy)), SHORT),
        CorpusCase(
            "spring_dst_halves", to_dexcom(*make_trace(days=0.6, seed=5, dst="spring")), SHORT
        ),
    ]


def _flags() -> list[CorpusCase]:
    times, values = _day()
    libre_15 = make_trace(days=1.5, seed=3, step_minutes=15)
    utf16 = to_generic(*_day(seed=9, gaps=1)).decode().encode("utf-16")
    bad_rows = to_generic(times, values).replace(b",1", b",n/a", 5)
    flagged = to_unified(times, values).replace(b",0,EGV_READ,", b",4,EGV_READ,", 3)
    restart = make_trace(days=2, seed=8, gaps=0)
    split = [t if k < 200 else t + timedelta(hours=3) for k, t in enumerate(restart[0])]
    return [
        CorpusCase(
            "dexcom_calibrations",
            to_dexcom(times, values, calibrations=3),
            "calibration",
            "warning",
        ),
        CorpusCase(
            "libre_fingersticks", to_libre(*libre_15, calibrations=2), "calibration", "warning"
        ),
        CorpusCase(
            "libre_pro_ampm", to_libre_pro_ampm(*libre_15, calibrations=1), "calibration", "warning"
        ),
        CorpusCase(
            "medtronic_meter", to_medtronic(times, values, calibrations=2), "calibration", "warning"
        ),
        CorpusCase("sensor_restart", to_dexcom(split, restart[1]), "calibration", "warning"),
        CorpusCase("duplicates", to_dexcom(*_day(duplicates=6)), "time_duplicates", "warning"),
        CorpusCase("fall_dst", to_dexcom(*_day(dst="fall")), "time_duplicates", "warning"),
        CorpusCase("high_low", to_dexcom(*_day(out_of_range=3)), "clipped", "warning"),
        CorpusCase(
            "eu_mmol_high_low",
            to_dexcom(*_day(out_of_range=2), mmol=True),
            "clipped",
            "warning",
        ),
        CorpusCase("libre_15_minutes", to_libre(*libre_15), "imputation", "warning"),
        CorpusCase("short_holes", to_dexcom(*_day(seed=9, gaps=1)), "imputation", "warning"),
        CorpusCase("unusable_values", bad_rows, "quality", "warning"),
        CorpusCase("unified_flagged", flagged, "quality", "warning"),
        CorpusCase(
            "short_tail", to_dexcom(*make_trace(days=1.2, seed=6, gaps=2)), "too_short", "warning"
        ),
        CorpusCase("utf16_generic", utf16, "imputation", "warning"),
    ]


CORPUS: list[CorpusCase] = _errors() + _short() + _flags()
