"""Generic research tables -> the unified frame (pure compute: polars only).

Public CGM data sets (iglu's example data, many cohort studies) ship a plain
table: a time column, a glucose column and often a subject id column
(`id,time,gl`, `timestamp,glucose`). This parser finds those columns by name,
reads mmol/L (by column name, or when every value is below 35) as mg/dL, reads
decimal commas, keeps sensor High/Low at 400/40 mg/dL (flagged), keeps one
subject, and returns rows in cgm-format's unified schema so the rest of the
pipeline cannot tell where they came from. It never guesses a column it
cannot name: unknown headers are `invalid_data`.
"""

from __future__ import annotations

import re
from io import StringIO

import polars as pl
from cgm_format import CGM_SCHEMA

from glurpc_core.ingest.errors import IngestError
from glurpc_core.ingest.stamps import parse_column
from glurpc_core.series import MGDL_PER_MMOL

TIME_NAMES = ("time", "timestamp", "datetime", "date_time", "ts", "time_stamp", "display_time")
GLUCOSE_NAMES = (
    "gl", "glucose", "sgv", "bg", "cgm", "value", "glucose_value", "sensor_glucose",
    "glucose_mg_dl", "glucose_mmol_l", "glucose_mgdl", "glucose_mmol", "historic_glucose",
)  # fmt: skip
SUBJECT_NAMES = ("id", "subject", "subject_id", "patient", "patient_id", "participant", "user_id")
MMOL_CEILING = 35.0  # no mg/dL trace stays below this; every mmol/L trace does
HIGH_WORDS, LOW_WORDS = ("high", "hi"), ("low", "lo")
MAX_LISTED_SUBJECTS = 50
_SUBJECT_KEY = "_subject"


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().strip('"').lower()).strip("_")


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    keys = {_key(c): c for c in reversed(columns)}
    return next((keys[n] for n in names if n in keys), None)


def looks_generic(text: str) -> bool:
    header = text.split("\n", 1)[0]
    columns = re.split(r"[,;\t]", header)
    return _find(columns, TIME_NAMES) is not None and _find(columns, GLUCOSE_NAMES) is not None


def _read(text: str) -> tuple[pl.DataFrame, str]:
    header = text.split("\n", 1)[0]
    separator = max((",", ";", "\t"), key=header.count)
    frame = pl.read_csv(
        StringIO(text), separator=separator, infer_schema=False, truncate_ragged_lines=True
    )
    return frame, separator


def parse_generic(text: str, subject: str | None) -> pl.DataFrame:
    """Unified frame of one subject's readings; raises IngestError(invalid_data)."""
    frame, separator = _read(text)
    time_col, glucose_col = _columns(frame.columns)
    frame = frame.with_row_index("_row")
    frame = _one_subject(frame, _find(frame.columns, SUBJECT_NAMES), subject)
    return _unified(frame, time_col, glucose_col, separator)


def parse_each_subject(text: str) -> list[tuple[str, pl.DataFrame | IngestError]]:
    """Every subject's unified frame (or why it has none) from ONE read of the
    table, in file order: listing N subjects costs one parse, not N. Each
    frame equals `parse_generic(text, subject)`'s. [] without an id column."""
    frame, separator = _read(text)
    time_col, glucose_col = _columns(frame.columns)
    subject_col = _find(frame.columns, SUBJECT_NAMES)
    if subject_col is None:
        return []
    ids = pl.col(subject_col).cast(pl.Utf8).str.strip_chars().alias(_SUBJECT_KEY)
    frame = frame.with_row_index("_row").with_columns(ids)
    each: list[tuple[str, pl.DataFrame | IngestError]] = []
    for key, rows in frame.partition_by(_SUBJECT_KEY, maintain_order=True, as_dict=True).items():
        subject = key[0]
        if not isinstance(subject, str) or subject == "":
            continue
        try:
            each.append(
                (subject, _unified(rows.drop(_SUBJECT_KEY), time_col, glucose_col, separator))
            )
        except IngestError as exc:
            each.append((subject, exc))
    return each


def _columns(columns: list[str]) -> tuple[str, str]:
    time_col, glucose_col = _find(columns, TIME_NAMES), _find(columns, GLUCOSE_NAMES)
    if time_col is None or glucose_col is None:
        raise IngestError.invalid(
            "no time and glucose columns: this is neither a known CGM export nor a table "
            "with a time column (time, timestamp) and a glucose column (gl, glucose)",
            reason="unknown_columns",
            line=1,
            columns=[c[:40] for c in columns[:20]],
        )
    return time_col, glucose_col


def _unified(frame: pl.DataFrame, time_col: str, glucose_col: str, separator: str) -> pl.DataFrame:
    """One subject's rows (with their `_row` numbers) in the unified schema."""
    frame = frame.filter(pl.col(time_col).str.strip_chars().fill_null("") != "")
    stamps = parse_column(frame[time_col], name=time_col, first_line=2, lines=frame["_row"])
    glucose, quality = _glucose(frame[glucose_col], separator, "mmol" in _key(glucose_col))
    unified = pl.DataFrame(
        {
            "sequence_id": pl.Series([0] * frame.height, dtype=pl.Int64),
            "original_datetime": stamps,
            "original_glucose": glucose,
            "quality": quality,
            "event_type": pl.Series(["EGV_READ"] * frame.height, dtype=pl.Utf8),
            "datetime": stamps,
            "glucose": glucose,
        }
    ).sort("datetime", maintain_order=True)
    return CGM_SCHEMA.validate_dataframe(unified, enforce=True)


def _one_subject(frame: pl.DataFrame, subject_col: str | None, subject: str | None) -> pl.DataFrame:
    if subject_col is None:
        return frame
    ids = frame[subject_col].cast(pl.Utf8).str.strip_chars()
    subjects = ids.unique(maintain_order=True).drop_nulls().to_list()
    if subject is None:
        if len(subjects) <= 1:
            return frame
        listed = ", ".join(subjects[:MAX_LISTED_SUBJECTS])
        more = (
            f" and {len(subjects) - MAX_LISTED_SUBJECTS} more"
            if len(subjects) > MAX_LISTED_SUBJECTS
            else ""
        )
        raise IngestError.invalid(
            f"the file holds {len(subjects)} subjects in column {subject_col!r} ({listed}{more}); "
            "choose one with --subject ID, or --subject all for each in turn",
            reason="several_subjects",
            column=subject_col,
            subjects=subjects[:MAX_LISTED_SUBJECTS],
        )
    if subject not in subjects:
        raise IngestError.invalid(
            f"subject {subject!r} is not in column {subject_col!r}",
            reason="unknown_subject",
            column=subject_col,
            subjects=subjects[:MAX_LISTED_SUBJECTS],
        )
    return frame.filter(ids == subject)


def _glucose(column: pl.Series, separator: str, named_mmol: bool) -> tuple[pl.Series, pl.Series]:
    # A glucose value never has a thousands separator: a comma in it is a decimal comma
    # (semicolon tables, or a quoted "5,6" in a comma table).
    text = column.cast(pl.Utf8).str.strip_chars().str.to_lowercase()
    text = text.str.replace(",", ".", literal=True)
    values = text.cast(pl.Float64, strict=False)
    high, low = text.is_in(list(HIGH_WORDS)), text.is_in(list(LOW_WORDS))
    numeric = values.drop_nulls()
    if named_mmol or (len(numeric) and float(numeric.max()) <= MMOL_CEILING):  # type: ignore[arg-type]
        values = values * MGDL_PER_MMOL
    frame = pl.DataFrame({"v": values, "h": high, "l": low})
    values = frame.select(
        pl.when(pl.col("h")).then(400.0).when(pl.col("l")).then(40.0).otherwise(pl.col("v"))
    ).to_series()
    quality = (high | low).cast(pl.Int64)
    return values.alias("glucose"), quality.alias("quality")
