"""Prepared uploads: settings, the result type and its cache encoding (pure data: numpy).

A `PreparedData` pairs the series (what forecasts depend on, named by its
digest) with the upload's `report` (warnings, row accounting, stretches,
recorded unit): two uploads may prepare to the same series, so the daemon keeps
each upload's report under the upload's own key. `to_bytes` writes an npz (no
pickle) holding the series and a JSON header; `from_bytes` checks everything
it reads (array types, grid spacing, digest) so a torn or tampered cache file
is `invalid_data`, never a crash or a wrong series.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from glurpc_core.ingest.errors import IngestError
from glurpc_core.ingest.flags import FLAGS, DataWarning
from glurpc_core.series import STEP_SECONDS, CgmSeries

ENCODING_VERSION = 2
PREPARATION_VERSION = "glurpc-prepare-2"  # bump when preparation changes any series
SEQUENCES = ("all", "latest", "longest")
_ARRAYS = {  # name -> dtype of the per-point arrays beside times and glucose
    "last_reading_s": np.int64,
    "last_value": np.float32,
    "imputed": np.bool_,
    "clipped": np.bool_,
}


@dataclass(frozen=True)
class PrepareSettings:
    """`sequence`: which stretches to keep when gaps split the data (`all` by default);
    `subject`: which subject of a table with an id column (ignored by one-person exports)."""

    sequence: Literal["all", "latest", "longest"] = "all"
    subject: str | None = None

    def __post_init__(self) -> None:
        if self.sequence not in SEQUENCES:
            raise ValueError("sequence must be 'all', 'latest' or 'longest'")

    def as_key(self) -> str:
        """Stable text for hashing: changes whenever the prepared series could."""
        return json.dumps(
            {"prep": PREPARATION_VERSION, "sequence": self.sequence, "subject": self.subject},
            sort_keys=True,
        )


def series_digest(series: CgmSeries, settings_key: str) -> str:
    hasher = hashlib.sha256()
    for name, array in _series_arrays(series).items():
        hasher.update(name.encode())
        hasher.update(np.ascontiguousarray(array).tobytes())
    hasher.update(settings_key.encode())
    return hasher.hexdigest()


def _series_arrays(series: CgmSeries) -> dict[str, np.ndarray]:
    arrays: dict[str, np.ndarray] = {
        "times": series.times.astype("datetime64[s]").astype(np.int64),
        "glucose": series.glucose.astype(np.float32),
        "stretch_starts": series.stretch_starts.astype(np.int64),
    }
    arrays.update({name: np.asarray(getattr(series, name), dtype=t) for name, t in _ARRAYS.items()})
    return arrays


@dataclass(frozen=True, eq=False)  # arrays inside: compare digests, not objects
class PreparedData:
    series: CgmSeries
    warnings: tuple[DataWarning, ...]
    source_format: str
    digest: str
    start: str
    end: str
    settings_key: str = ""
    # The upload's own facts: accounting, stretches, unit, subject (msgpack-able).
    report: dict[str, Any] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        header = {
            "version": ENCODING_VERSION,
            "warnings": [w.to_wire() for w in self.warnings],
            "source_format": self.source_format,
            "digest": self.digest,
            "settings_key": self.settings_key,
            "report": self.report,
        }
        buffer = io.BytesIO()
        arrays = _series_arrays(self.series)
        header_bytes = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
        np.savez(buffer, header=header_bytes, **arrays)  # type: ignore[arg-type]
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreparedData:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as loaded:
                arrays = {name: loaded[name] for name in loaded.files}
            header = json.loads(arrays.pop("header").tobytes().decode())
            return _decoded(arrays, header)
        except IngestError:
            raise
        except (
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            OSError,
            EOFError,
            zipfile.BadZipFile,
        ) as exc:
            raise IngestError.invalid(
                f"the cached series is unreadable: {exc}", reason="bad_cache_entry"
            ) from exc


def warnings_from_wire(items: Any) -> tuple[DataWarning, ...]:
    if not isinstance(items, list):
        return ()
    return tuple(
        DataWarning.from_wire(w) for w in items if isinstance(w, dict) and w.get("flag") in FLAGS
    )


def _decoded(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> PreparedData:
    def bad(why: str) -> IngestError:
        return IngestError.invalid(f"the cached series is invalid: {why}", reason="bad_cache_entry")

    if not isinstance(header, dict) or header.get("version") != ENCODING_VERSION:
        raise bad("unknown encoding version")
    times, glucose = arrays["times"], arrays["glucose"]
    if times.dtype != np.int64 or glucose.dtype != np.float32 or times.ndim != 1:
        raise bad("wrong array types")
    if times.shape != glucose.shape or len(times) == 0:
        raise bad("array lengths differ")
    starts = arrays["stretch_starts"]
    inside = np.ones(len(times) - 1, dtype=bool)
    inside[starts[1:] - 1] = False  # steps between stretches may be any gap
    if np.any(np.diff(times)[inside] != STEP_SECONDS) or not np.all(np.isfinite(glucose)):
        raise bad("not a 5-minute series")
    for name, dtype in _ARRAYS.items():
        if arrays[name].dtype != dtype:
            raise bad(f"wrong type of {name}")
    series = CgmSeries(
        times.astype("datetime64[s]"), glucose, starts, **{name: arrays[name] for name in _ARRAYS}
    )
    settings_key = str(header.get("settings_key", ""))
    digest = series_digest(series, settings_key)
    if digest != header.get("digest"):
        raise bad("digest mismatch")
    report = header.get("report")
    return PreparedData(
        series=series,
        warnings=warnings_from_wire(header.get("warnings")),
        source_format=str(header.get("source_format", "")),
        digest=digest,
        start=str(series.times[0]),
        end=str(series.times[-1]),
        settings_key=settings_key,
        report=report if isinstance(report, dict) else {},
    )
