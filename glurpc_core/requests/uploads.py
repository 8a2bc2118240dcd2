"""An upload's request arguments: the CSV bytes within the daemon's limit, how
they are prepared (`sequence`, `subject`), and what a reply says about the bytes
themselves (pure; shared by the daemon's ops and the Ray engine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from glurpc_core import ingest
from glurpc_core.errors import ErrorCode, OpError
from glurpc_core.requests.args import optional_str, required_bytes

SEQUENCE_CHOICES = ("all", "latest", "longest")
DEFAULT_MAX_UPLOAD = 32 * 1024 * 1024


def upload_facts(prepared: ingest.PreparedData) -> dict[str, Any]:
    """What belongs to the bytes uploaded, not to the series they prepare to."""
    return {"warnings": [w.to_wire() for w in prepared.warnings], **prepared.report}


def recorded_unit(upload: dict[str, Any]) -> str:
    """The unit the uploaded file was recorded in, from its `upload_facts`."""
    return str(upload.get("unit") or "mg/dL")


def prepare_settings(args: dict[str, Any]) -> ingest.PrepareSettings:
    """How an upload is prepared, from a request's `sequence` and `subject`."""
    sequence = optional_str(args, "sequence", SEQUENCE_CHOICES, default="all")
    subject = optional_str(args, "subject")
    choice: Literal["all", "latest", "longest"] = (
        "latest" if sequence == "latest" else "longest" if sequence == "longest" else "all"
    )
    return ingest.PrepareSettings(sequence=choice, subject=subject)


def checked_upload(args: dict[str, Any], limit: int) -> bytes:
    """The `csv` argument, refused when larger than the upload limit."""
    raw = required_bytes(args, "csv")
    if len(raw) > limit:
        raise OpError(
            ErrorCode.INVALID_DATA,
            f"the upload is {len(raw)} bytes; this daemon accepts at most {limit}"
            " (glurpcd --max-upload-mb)",
            {"reason": "too_large", "bytes": len(raw), "limit": limit},
        )
    return raw


def read_upload(path: Path, limit: int = DEFAULT_MAX_UPLOAD) -> bytes:
    """A file's bytes as the Ray engine uploads them to itself: refused, having
    read no more than `limit` + 1 bytes, when larger than a daemon accepts."""
    with open(path, "rb") as file:
        raw = file.read(limit + 1)
    if len(raw) > limit:
        raise OpError(
            ErrorCode.INVALID_DATA,
            f"{path} is larger than {limit} bytes, the most a daemon accepts by default",
            {"reason": "too_large", "limit": limit},
        )
    return raw
