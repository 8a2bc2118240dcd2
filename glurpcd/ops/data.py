"""Uploads and handles: CSV bytes -> prepared series -> handle, shared and cached.

Layer: ops. Parsing runs as a `prepare` job on the cpu lane, so identical
uploads in flight share one parse, and the same bytes sent again map straight
to their handle without parsing (the `upload` cache entry). A handle is the
SHA-256 of the prepared content, the preparation settings and everything that
changes a forecast (model id, samples, seed), so a new model never serves
another's results. Two different uploads can prepare to one series (one handle):
what `process` reports about the bytes (warnings, row accounting, unit) is
kept per upload, in the upload's own cache entry, never per series.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from glurpc_wire.handles import is_handle

from .. import ingest
from ..engine import Engine, Lane
from ..errors import ErrorCode, OpError
from ..lifecycle import JobSpec, Request
from .args import optional_str, required_bytes
from .owners import Owners
from .results import ResultStore, series_key, upload_key

SEQUENCE_CHOICES = ("all", "latest", "longest")


@dataclass(frozen=True)
class _Prepared:
    handle: str
    prepared: ingest.PreparedData
    encoded: bytes


@dataclass(frozen=True)
class Resolved:
    handle: str
    prepared: ingest.PreparedData
    fresh: bool  # parsed by this request: background precompute may start
    upload: dict[str, Any]  # this upload's warnings and report (wire form)

    @property
    def unit(self) -> str:
        return str(self.upload.get("unit") or "mg/dL")


def upload_facts(prepared: ingest.PreparedData) -> dict[str, Any]:
    """What belongs to the bytes uploaded, not to the series they prepare to."""
    return {"warnings": [w.to_wire() for w in prepared.warnings], **prepared.report}


class UploadResolver:
    def __init__(
        self, results: ResultStore, engine: Engine, forecast_tag: str, decoded_limit: int = 32
    ) -> None:
        self.results = results
        self.engine = engine
        self.forecast_tag = forecast_tag
        self.owners = Owners(os.getuid())
        # Decoded series of recently used handles (bounded; bytes stay in the cache).
        self._decoded: OrderedDict[str, ingest.PreparedData] = OrderedDict()
        self._decoded_limit = decoded_limit

    def handle_for(self, prepared: ingest.PreparedData) -> str:
        return hashlib.sha256(f"{prepared.digest}|{self.forecast_tag}".encode()).hexdigest()

    async def resolve(
        self, request: Request, args: dict[str, Any], *, force: bool = False
    ) -> Resolved:
        """From `handle` or `csv` in args (exactly one)."""
        if ("handle" in args) == ("csv" in args):
            raise OpError.bad_request("give exactly one of 'handle' or 'csv'")
        if "handle" in args:
            handle = args["handle"]
            if not is_handle(handle):
                raise OpError.bad_request("'handle' must be 64 lowercase hex digits")
            # Another user's handle answers exactly as an unknown one (owners.py).
            prepared = await self.load(handle) if self.owners.allows(handle, request.uid) else None
            if prepared is None:
                raise OpError(
                    ErrorCode.NOT_FOUND, f"unknown or evicted handle {handle}", {"handle": handle}
                )
            return Resolved(handle, prepared, fresh=False, upload=upload_facts(prepared))
        raw = required_bytes(args, "csv")
        resolved = await self.from_upload(request, raw, prepare_settings(args), force)
        self.owners.grant(resolved.handle, request.uid)
        return resolved

    async def subjects(self, request: Request, raw: bytes) -> list[str]:
        """Subject ids of a table with an id column ([] for a one-person export)."""
        digest = hashlib.sha256(raw).hexdigest()
        spec = JobSpec(f"subjects:{digest}", "subjects", handle=digest)
        ids: list[str] = await self.engine.obtain(
            request, spec, Lane.CPU, lambda: ingest.subjects(raw)
        )
        return ids

    async def load(self, handle: str) -> ingest.PreparedData | None:
        prepared = self._decoded.get(handle)
        if prepared is not None:
            self._decoded.move_to_end(handle)
            return prepared
        data = await self.results.get(series_key(handle))
        if data is None:
            return None
        try:
            prepared = await asyncio.to_thread(ingest.PreparedData.from_bytes, data)
        except ingest.IngestError:
            return None  # an entry that no longer decodes is as good as evicted
        self._remember(handle, prepared)
        return prepared

    async def from_upload(
        self, request: Request, raw: bytes, settings: ingest.PrepareSettings, force: bool
    ) -> Resolved:
        digest = await asyncio.to_thread(_upload_digest, raw, settings, self.forecast_tag)
        if not force:
            known = _upload_entry(await self.results.get(upload_key(digest)))
            if known is not None:
                prepared = await self.load(known["handle"])
                if prepared is not None:
                    return Resolved(known["handle"], prepared, False, known["upload"])
        spec = JobSpec(f"prepare:{digest}", "prepare", handle=digest)
        outcome: _Prepared = await self.engine.obtain(
            request,
            spec,
            Lane.CPU,
            lambda: self._prepare(raw, settings),
            store=self._store_upload(digest),
        )
        return Resolved(outcome.handle, outcome.prepared, True, upload_facts(outcome.prepared))

    def _prepare(self, raw: bytes, settings: ingest.PrepareSettings) -> _Prepared:
        """Runs in a cpu-lane thread."""
        prepared = ingest.prepare(raw, settings)
        return _Prepared(self.handle_for(prepared), prepared, prepared.to_bytes())

    def _store_upload(self, digest: str) -> Callable[[_Prepared], None]:
        def store(result: _Prepared) -> None:
            self._remember(result.handle, result.prepared)
            self.results.put(series_key(result.handle), result.encoded)
            entry = {"handle": result.handle, "upload": upload_facts(result.prepared)}
            self.results.put(upload_key(digest), json.dumps(entry).encode())

        return store

    def _remember(self, handle: str, prepared: ingest.PreparedData) -> None:
        self._decoded[handle] = prepared
        self._decoded.move_to_end(handle)
        while len(self._decoded) > self._decoded_limit:
            self._decoded.popitem(last=False)

    def forget(self, handle: str | None = None) -> None:
        if handle is None:
            self._decoded.clear()
        else:
            self._decoded.pop(handle, None)
        self.owners.forget(handle)


def _upload_entry(data: bytes | None) -> dict[str, Any] | None:
    """The upload cache entry, or None when absent or unreadable (then parse again)."""
    if data is None:
        return None
    try:
        entry = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(entry, dict) or not isinstance(entry.get("upload"), dict):
        return None
    return entry if is_handle(entry.get("handle")) else None


def prepare_settings(args: dict[str, Any]) -> ingest.PrepareSettings:
    """How an upload is prepared, from a request's `sequence` and `subject`."""
    sequence = optional_str(args, "sequence", SEQUENCE_CHOICES, default="all")
    subject = optional_str(args, "subject")
    choice: Literal["all", "latest", "longest"] = (
        "latest" if sequence == "latest" else "longest" if sequence == "longest" else "all"
    )
    return ingest.PrepareSettings(sequence=choice, subject=subject)


def _upload_digest(raw: bytes, settings: ingest.PrepareSettings, tag: str) -> str:
    hasher = hashlib.sha256(raw)
    hasher.update(f"|{settings.as_key()}|{tag}".encode())
    return hasher.hexdigest()


async def convert(engine: Engine, request: Request, args: dict[str, Any]) -> dict[str, Any]:
    """The `convert` op: any supported export -> the unified CSV."""
    raw = required_bytes(args, "csv")
    subject = optional_str(args, "subject")
    digest = hashlib.sha256(raw).hexdigest()
    spec = JobSpec(f"convert:{digest}:{subject or ''}", "convert", handle=digest)

    unified, source_format = await engine.obtain(
        request, spec, Lane.CPU, lambda: ingest.convert(raw, subject=subject)
    )
    return {"csv": unified, "format": source_format}
