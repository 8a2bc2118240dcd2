"""CGM ingestion (pure compute): export bytes -> unified table -> prepared series.

    prepared = prepare(raw, PrepareSettings(subject="7"))   # PreparedData: every stretch
    each = prepare_subjects(raw, PrepareSettings())          # [("1", PreparedData), ...]
    unified_csv, source_format = convert(raw)
    cost = admitted(raw)                                     # lines, cells; or too_large

Layers, each its own module: `text` (bytes gate) and `budget` (what a parse
may cost, judged on the bytes) -> `screen` (rows never
read) -> `parse` (cgm-format, the Libre adapter, generic tables) -> `prepare`
(5-minute grid, stretches) -> `accounting` (every row, warnings) -> `prepared`
(result, digest, cache encoding). Synchronous and thread-safe (no shared
mutable state); never imports torch or asyncio. Every problem with the input is
an IngestError with code `invalid_data` or `too_short`.
"""

from __future__ import annotations

import dataclasses

from glurpc_core.ingest.errors import IngestError
from glurpc_core.ingest.flags import FLAGS, DataWarning
from glurpc_core.ingest.parse import (
    ParsedExport,
    admitted,
    parse_export,
    parse_subjects,
    to_unified_csv,
)
from glurpc_core.ingest.prepare import prepare_readings
from glurpc_core.ingest.prepared import PreparedData, PrepareSettings, series_digest
from glurpc_core.ingest.readings import Readings
from glurpc_core.series import CgmSeries

__all__ = [
    "FLAGS",
    "DataWarning",
    "IngestError",
    "PrepareSettings",
    "PreparedData",
    "admitted",
    "convert",
    "prepare",
    "prepare_subjects",
]

CGM_FORMAT_VERSION = "0.13.0"  # the cgm-format release this package is tested against


def convert(raw: bytes, *, subject: str | None = None) -> tuple[bytes, str]:
    """Any supported export -> (cgm-format unified CSV bytes, detected format name)."""
    parsed = parse_export(raw, subject)
    return to_unified_csv(parsed), parsed.source_format


def prepare(raw: bytes, settings: PrepareSettings = PrepareSettings()) -> PreparedData:  # noqa: B008
    """Parse and prepare one upload; raises IngestError."""
    return _prepared(parse_export(raw, settings.subject), settings)


def prepare_subjects(
    raw: bytes,
    settings: PrepareSettings = PrepareSettings(),  # noqa: B008
) -> list[tuple[str, PreparedData | IngestError]]:
    """Every subject of a table with an id column, parsed once: each entry is
    what `prepare(raw, settings with that subject)` returns or raises. [] for a
    file without an id column."""
    each: list[tuple[str, PreparedData | IngestError]] = []
    for subject, parsed in parse_subjects(raw):
        one = dataclasses.replace(settings, subject=subject)
        try:
            if isinstance(parsed, IngestError):
                raise parsed
            each.append((subject, _prepared(parsed, one)))
        except IngestError as exc:
            each.append((subject, exc))
    return each


def _prepared(parsed: ParsedExport, settings: PrepareSettings) -> PreparedData:
    result = prepare_readings(Readings.from_frame(parsed.frame), settings.sequence, parsed.screened)
    series = CgmSeries(
        (result.times_ms // 1000).astype("datetime64[s]"),
        result.glucose,
        result.stretch_starts,
        last_reading_s=result.last_reading_s,
        last_value=result.last_value,
        imputed=result.imputed,
        clipped=result.clipped,
    )
    key = settings.as_key()
    report = {
        **result.accounting.to_wire(),
        "unit": parsed.unit,
        "subject": settings.subject,
        "format": parsed.source_format,
    }
    return PreparedData(
        series=series,
        warnings=result.accounting.warnings(),
        source_format=parsed.source_format,
        digest=series_digest(series, key),
        start=str(series.times[0]),
        end=str(series.times[-1]),
        settings_key=key,
        report=report,
    )
