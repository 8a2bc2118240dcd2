"""Uploads and handles: CSV bytes -> prepared series -> handle, shared and cached.

Layer: ops. Parsing runs as a `prepare` job on the cpu lane, so identical
uploads in flight share one parse, and the same bytes sent again map straight
to their handle without parsing (the `upload` cache entry). A handle is the
SHA-256 of the prepared content, the preparation settings and everything that
changes a forecast (model id, samples, seed), so a new model never serves
another's results. On a shared (`--group`) daemon a member's handles also name
that member's uid (`scope`): members never share a handle, a job, a cache
entry or its progress, so no member can see, time or flush another's work,
whatever bytes (or line endings) they send. Two different uploads can prepare
to one series (one handle): what `process` reports about the bytes (warnings,
row accounting, unit) is kept per upload, in the upload's own cache entry,
never per series.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from glurpc_core import ingest
from glurpc_core.errors import CodedError, ErrorCode, OpError
from glurpc_core.identity import upload_digest, upload_handle
from glurpc_core.requests.args import optional_str
from glurpc_core.requests.uploads import (
    DEFAULT_MAX_UPLOAD,
    checked_upload,
    prepare_settings,
    recorded_unit,
    upload_facts,
)
from glurpc_wire.handles import is_handle
from glurpcd.engine.lanes import Engine, Lane
from glurpcd.engine.parse_child import CHILD_PROCESS_BYTES, ChildTask
from glurpcd.lifecycle import JobSpec, Request
from glurpcd.ops.owners import Owners
from glurpcd.ops.results import ResultStore, series_key, upload_key


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
        return recorded_unit(self.upload)


class UploadResolver:
    def __init__(
        self,
        results: ResultStore,
        engine: Engine,
        forecast_tag: str,
        decoded_limit: int = 32,
        max_upload: int = DEFAULT_MAX_UPLOAD,
    ) -> None:
        self.results = results
        self.engine = engine
        self.forecast_tag = forecast_tag
        self.max_upload = max_upload
        self.owners = Owners(os.getuid())
        # Decoded series of recently used handles (bounded; bytes stay in the cache).
        self._decoded: OrderedDict[str, ingest.PreparedData] = OrderedDict()
        self._decoded_limit = decoded_limit

    async def resolve(
        self, request: Request, args: dict[str, Any], *, force: bool = False
    ) -> Resolved:
        """From `handle` or `csv` in args (exactly one)."""
        resolved = await self._resolve(request, args, force)
        request.trace.handle = resolved.handle  # for the request's log line
        return resolved

    async def _resolve(self, request: Request, args: dict[str, Any], force: bool) -> Resolved:
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
        raw = checked_upload(args, self.max_upload)
        resolved = await self.from_upload(request, raw, prepare_settings(args), force)
        self.owners.grant(resolved.handle, request.uid)
        return resolved

    def scope(self, uid: int | None) -> str:
        """What keeps one member's work apart from another's: "" for root and
        the daemon's own uid (who may use every handle anyway)."""
        return "" if self.owners.privileged(uid) else f"|uid={uid}"

    def tag_for(self, uid: int | None) -> str:
        return self.forecast_tag + self.scope(uid)

    async def every_subject(
        self, request: Request, raw: bytes, settings: ingest.PrepareSettings
    ) -> list[tuple[str, Resolved | CodedError]]:
        """Each subject of a table with an id column, prepared by ONE job that
        reads the table once; each prepared subject is stored as its own upload,
        so a later request naming that subject parses nothing."""
        tag = self.tag_for(request.uid)
        digest = await asyncio.to_thread(upload_digest, raw, settings.as_key(), tag)
        spec = JobSpec(f"prepare_subjects:{digest}", "prepare", handle=digest)
        each: list[tuple[str, _Prepared | CodedError]] = await self.engine.obtain(
            request,
            spec,
            Lane.CPU,
            await cpu_task(_prepare_subjects, raw, settings, tag),
            store=functools.partial(self._store_subjects, raw, settings, tag),
        )
        resolved: list[tuple[str, Resolved | CodedError]] = []
        for subject, outcome in each:
            if isinstance(outcome, CodedError):
                resolved.append((subject, outcome))
                continue
            self.owners.grant(outcome.handle, request.uid)
            upload = upload_facts(outcome.prepared)
            resolved.append((subject, Resolved(outcome.handle, outcome.prepared, True, upload)))
        return resolved

    def _store_subjects(
        self,
        raw: bytes,
        settings: ingest.PrepareSettings,
        tag: str,
        each: list[tuple[str, _Prepared | CodedError]],
    ) -> None:
        for subject, outcome in each:
            if not isinstance(outcome, CodedError):
                one = dataclasses.replace(settings, subject=subject)
                self._store_upload(upload_digest(raw, one.as_key(), tag))(outcome)

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
        tag = self.tag_for(request.uid)
        digest = await asyncio.to_thread(upload_digest, raw, settings.as_key(), tag)
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
            await cpu_task(_prepare_upload, raw, settings, tag),
            store=self._store_upload(digest),
        )
        return Resolved(outcome.handle, outcome.prepared, True, upload_facts(outcome.prepared))

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


async def cpu_task(fn: Callable[..., Any], raw: bytes, *args: Any) -> Callable[[], Any] | ChildTask:
    """Parsing of `raw`: refused at once when beyond what a parse may cost
    (ingest/budget.py), else in a cpu-lane thread when small, or in a child
    process held to the parse memory bound that the engine kills once nobody
    waits (engine/parse_child.py)."""
    cost = await asyncio.to_thread(ingest.admitted, raw)  # counts bytes: off the loop
    if cost.needs_child or len(raw) >= CHILD_PROCESS_BYTES:
        return ChildTask(fn, (raw, *args))
    return functools.partial(fn, raw, *args)


def _prepare_upload(raw: bytes, settings: ingest.PrepareSettings, tag: str) -> _Prepared:
    """Runs in a cpu-lane thread or a child process."""
    return _prepared_upload(ingest.prepare(raw, settings), tag)


def _prepared_upload(prepared: ingest.PreparedData, tag: str) -> _Prepared:
    return _Prepared(upload_handle(prepared.digest, tag), prepared, prepared.to_bytes())


def _prepare_subjects(
    raw: bytes, settings: ingest.PrepareSettings, tag: str
) -> list[tuple[str, _Prepared | CodedError]]:
    """Runs in a cpu-lane thread or a child process."""
    return [
        (subject, prepared if isinstance(prepared, CodedError) else _prepared_upload(prepared, tag))
        for subject, prepared in ingest.prepare_subjects(raw, settings)
    ]


def _convert(raw: bytes, subject: str | None) -> tuple[bytes, str]:
    return ingest.convert(raw, subject=subject)


async def convert(
    engine: Engine, max_upload: int, request: Request, args: dict[str, Any]
) -> dict[str, Any]:
    """The `convert` op: any supported export -> the unified CSV."""
    raw = checked_upload(args, max_upload)
    subject = optional_str(args, "subject")
    digest = hashlib.sha256(raw).hexdigest()
    # Per uid, like every job that starts from a client's bytes (UploadResolver.scope).
    key = f"convert:{digest}:{subject or ''}:{request.uid}"
    spec = JobSpec(key, "convert", handle=digest)

    unified, source_format = await engine.obtain(
        request, spec, Lane.CPU, await cpu_task(_convert, raw, subject)
    )
    return {"csv": unified, "format": source_format}
