"""CGM export bytes -> one unified table (pure compute: cgm-format + polars).

Detection and vendor parsing belong to cgm-format (pinned 0.13.0); this module
adds what it lacks: the Libre adapter (`libre.py`), generic research tables
(`generic.py`), and Dexcom calibration rows, which cgm-format drops but the
`calibration` warning needs. Every failure a file can cause, including errors
and panics inside cgm-format or polars, leaves here as IngestError(invalid_data):
nothing a file contains reaches the caller as any other exception.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime

import polars as pl
from cgm_format import CGM_SCHEMA, FormatParser, SupportedCGMFormat
from cgm_format import UnknownFormatError as _UnknownFormat

from glurpc_core.ingest.budget import ParseCost, parse_cost
from glurpc_core.ingest.errors import IngestError
from glurpc_core.ingest.generic import looks_generic, parse_each_subject, parse_generic
from glurpc_core.ingest.libre import canonical_libre, find_libre_header
from glurpc_core.ingest.screen import DELIMITERS, Screened, screen_rows
from glurpc_core.ingest.text import decode_export, refuse_non_text
from glurpc_core.series import MGDL_PER_MMOL

_F = SupportedCGMFormat
FORMAT_NAMES = {
    _F.UNIFIED_CGM: "unified",
    _F.UNIFIED_EXTENDED: "unified",
    _F.DEXCOM: "dexcom",
    _F.DEXCOM_EU: "dexcom",
    _F.LIBRE: "libre",
    _F.LIBRE_EU: "libre",
    _F.MEDTRONIC: "medtronic",
    _F.MEDTRONIC_PUMP: "medtronic",
    _F.NIGHTSCOUT: "nightscout",
}
# Everything a hostile file can make cgm-format, polars or json raise (RecursionError:
# deeply nested JSON; PanicException: a polars panic, a BaseException).
_READ_ERRORS = (
    ValueError, TypeError, KeyError, IndexError, ArithmeticError, csv.Error, RecursionError,
    pl.exceptions.PolarsError, pl.exceptions.PanicException,
)  # fmt: skip
_DEXCOM_CALIBRATION = re.compile(r"^[^\n]*,Calibration,[^\n]*$", re.MULTILINE)


@dataclass(frozen=True)
class ParsedExport:
    frame: pl.DataFrame  # cgm-format's unified schema, sorted by datetime
    source_format: str
    screened: Screened | None = None  # rows dropped before parsing; None for JSON

    @property
    def unit(self) -> str:
        """The unit the file was recorded in."""
        return (self.screened.unit if self.screened else None) or "mg/dL"


def parse_export(raw: bytes, subject: str | None = None) -> ParsedExport:
    """Detect and parse; raises IngestError(invalid_data) for anything unreadable
    or beyond what one parse may cost (budget.py)."""
    admitted(raw)
    text = decode_export(raw)
    if text.lstrip().startswith(("[", "{")):
        screened = None
    else:
        screened = screen_rows(text)
        text = screened.text
    try:
        frame, name = _parse_text(text, subject, screened)
    except IngestError:
        raise
    except _READ_ERRORS as exc:
        raise _unreadable(exc, screened) from exc
    return ParsedExport(frame, name, screened)


def parse_subjects(raw: bytes) -> list[tuple[str, ParsedExport | IngestError]]:
    """Each subject of a research table with an id column, read once (see
    `parse_each_subject`); [] for anything else. A subject's entry equals
    `parse_export(raw, subject)`, or is the IngestError that raises."""
    admitted(raw)
    text = decode_export(raw)
    if text.lstrip().startswith(("[", "{")) or find_libre_header(text) is not None:
        return []
    screened = screen_rows(text)
    try:
        FormatParser.detect_format(screened.text)
        return []  # a vendor export: one person
    except _UnknownFormat:
        pass
    if not looks_generic(screened.text):
        return []
    try:
        each = parse_each_subject(screened.text)
    except _READ_ERRORS as exc:
        raise _unreadable(exc, screened) from exc
    return [
        (
            subject,
            found if isinstance(found, IngestError) else ParsedExport(found, "generic", screened),
        )
        for subject, found in each
    ]


def admitted(raw: bytes) -> ParseCost:
    """What parsing `raw` will cost; IngestError for what is plainly not an export
    (said first) or what no parse may cost (budget.py). Reads no text."""
    refuse_non_text(raw)
    return parse_cost(raw)


def _unreadable(exc: BaseException, screened: Screened | None) -> IngestError:
    """One whole sentence; the parser's own words go to `details`, never cut mid-text."""
    layout = ""
    if screened is not None:
        layout = f" ({DELIMITERS[screened.delimiter]}-delimited"
        layout += ")" if screened.delimiter == "," else "; decimal commas are read)"
    return IngestError.invalid(
        f"the file could not be read as CGM data{layout}: its rows do not match a supported "
        "export layout",
        reason="unreadable",
        error=type(exc).__name__,
        parser_message=" ".join(str(exc).split())[:1000],
        delimiter=screened.delimiter if screened else None,
    )


def _parse_text(
    text: str, subject: str | None, screened: Screened | None
) -> tuple[pl.DataFrame, str]:
    if screened is None:
        # Nightscout's REST API answers JSON; cgm-format reads it but does not detect it.
        return FormatParser.parse_nightscout(text), "nightscout"
    libre_header = find_libre_header(text)
    if libre_header is not None:
        text = canonical_libre(text, libre_header)
    try:
        detected = FormatParser.detect_format(text)
    except _UnknownFormat:
        if looks_generic(text):
            return parse_generic(text, subject), "generic"
        first = next((line for line in text.split("\n", 50) if line.strip()), "")[:120]
        delimiter = screened.delimiter
        raise IngestError.invalid(
            f"not a recognised CGM export: no known header in this "
            f"{DELIMITERS[delimiter]}-delimited ({delimiter!r}) file (first line: {first!r})",
            reason="unknown_format",
            line=1,
            delimiter=delimiter,
        ) from None
    name = FORMAT_NAMES.get(detected)
    if name is None:
        raise IngestError.invalid(
            f"{detected.value} files are not supported: upload one CGM export",
            reason="unsupported_format",
        )
    frame = FormatParser.parse_to_unified(text, detected)
    if name == "dexcom":
        frame = _with_dexcom_calibrations(text, frame)
    return frame, name


def _with_dexcom_calibrations(text: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Add Clarity's Calibration rows (fingersticks) as CALIBRAT events."""
    matches = _DEXCOM_CALIBRATION.findall(text)
    if not matches:
        return frame
    header = next(csv.reader([text.split("\n", 1)[0]]))
    names = [h.strip() for h in header]
    stamp_at = next(i for i, n in enumerate(names) if n.startswith("Timestamp"))
    kind_at = names.index("Event Type")
    value_at = next(i for i, n in enumerate(names) if n.startswith("Glucose Value"))
    factor = MGDL_PER_MMOL if "mmol" in names[value_at] else 1.0
    times, values = [], []
    for row in csv.reader(matches):
        if len(row) <= max(stamp_at, kind_at, value_at) or row[kind_at] != "Calibration":
            continue
        try:
            times.append(datetime.fromisoformat(row[stamp_at].strip()))
            values.append(float(row[value_at]) * factor)
        except ValueError:
            continue  # a calibration row we cannot read only loses its warning
    if not times:
        return frame
    extra = pl.DataFrame(
        {
            "sequence_id": [0] * len(times),
            "original_datetime": times,
            "original_glucose": values,
            "quality": [0] * len(times),
            "event_type": ["CALIBRAT"] * len(times),
            "datetime": times,
            "glucose": values,
        }
    ).with_columns(pl.col("original_datetime", "datetime").cast(pl.Datetime("ms")))
    merged = pl.concat([frame, extra], how="diagonal_relaxed").sort("datetime", maintain_order=True)
    return CGM_SCHEMA.validate_dataframe(merged, enforce=True)


def to_unified_csv(parsed: ParsedExport) -> bytes:
    return FormatParser.to_csv_string(parsed.frame).encode()
