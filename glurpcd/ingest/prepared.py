"""Prepared uploads: settings, the result type and its cache encoding (pure data: numpy).

`PreparedData.to_bytes` writes an npz (no pickle) holding the series and a JSON
header; `from_bytes` checks everything it reads (array types, grid spacing,
digest) so a torn or tampered cache file is `invalid_data`, never a crash or a
wrong series.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ..series import STEP_SECONDS, CgmSeries
from .errors import IngestError
from .flags import FLAGS, DataWarning

ENCODING_VERSION = 1
PREPARATION_VERSION = "glurpc-prepare-1"  # bump when preparation changes any series


@dataclass(frozen=True)
class PrepareSettings:
    """`sequence`: which sequence to keep when gaps split the data; `subject`: which
    subject of a generic table with an id column (ignored by single-person exports)."""

    sequence: Literal["latest", "longest"] = "latest"
    subject: str | None = None

    def __post_init__(self) -> None:
        if self.sequence not in ("latest", "longest"):
            raise ValueError("sequence must be 'latest' or 'longest'")

    def as_key(self) -> str:
        """Stable text for hashing: changes whenever the prepared series could."""
        return json.dumps(
            {"prep": PREPARATION_VERSION, "sequence": self.sequence, "subject": self.subject},
            sort_keys=True,
        )


def series_digest(series: CgmSeries, settings_key: str) -> str:
    hasher = hashlib.sha256()
    hasher.update(series.times.astype("datetime64[s]").astype("<i8").tobytes())
    hasher.update(series.glucose.astype("<f4").tobytes())
    hasher.update(settings_key.encode())
    return hasher.hexdigest()


@dataclass(frozen=True, eq=False)  # arrays inside: compare digests, not objects
class PreparedData:
    series: CgmSeries
    warnings: tuple[DataWarning, ...]
    source_format: str
    digest: str
    start: str
    end: str
    settings_key: str = ""

    def to_bytes(self) -> bytes:
        header = {
            "version": ENCODING_VERSION,
            "warnings": [w.to_wire() for w in self.warnings],
            "source_format": self.source_format,
            "digest": self.digest,
            "settings_key": self.settings_key,
        }
        buffer = io.BytesIO()
        np.savez(
            buffer,
            times=self.series.times.astype("datetime64[s]").astype(np.int64),
            glucose=self.series.glucose.astype(np.float32),
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> PreparedData:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                times, glucose = arrays["times"], arrays["glucose"]
                header = json.loads(arrays["header"].tobytes().decode())
            return _decoded(times, glucose, header)
        except IngestError:
            raise
        except (ValueError, KeyError, TypeError, OSError, EOFError, zipfile.BadZipFile) as exc:
            raise IngestError.invalid(
                f"the cached series is unreadable: {exc}", reason="bad_cache_entry"
            ) from exc


def _decoded(times: np.ndarray, glucose: np.ndarray, header: dict[str, Any]) -> PreparedData:
    def bad(why: str) -> IngestError:
        return IngestError.invalid(f"the cached series is invalid: {why}", reason="bad_cache_entry")

    if not isinstance(header, dict) or header.get("version") != ENCODING_VERSION:
        raise bad("unknown encoding version")
    if times.dtype != np.int64 or glucose.dtype != np.float32 or times.ndim != 1:
        raise bad("wrong array types")
    if times.shape != glucose.shape or len(times) == 0:
        raise bad("array lengths differ")
    if np.any(np.diff(times) != STEP_SECONDS) or not np.all(np.isfinite(glucose)):
        raise bad("not a gap-free 5-minute series")
    series = CgmSeries(times.astype("datetime64[s]"), glucose)
    warnings = tuple(
        DataWarning(str(w["flag"]), str(w["message"]), int(w["count"]))
        for w in header.get("warnings", [])
        if isinstance(w, dict) and w.get("flag") in FLAGS
    )
    settings_key = str(header.get("settings_key", ""))
    digest = series_digest(series, settings_key)
    if digest != header.get("digest"):
        raise bad("digest mismatch")
    return PreparedData(
        series=series,
        warnings=warnings,
        source_format=str(header.get("source_format", "")),
        digest=digest,
        start=str(series.times[0]),
        end=str(series.times[-1]),
        settings_key=settings_key,
    )
