"""One file's share of a cohort: prepare it, pick its windows, plan its outputs.

Layer: cohort engine, pure compute and file tests (runs inside a Ray CPU task,
and in unit tests without Ray). It calls the daemon's own ingestion and index
check, so a file gives the same series, the same windows and the same errors
as `glurpc process` / `glurpc plot` through a daemon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glurpc_cli.output import is_complete_image
from glurpc_cli.records import outcome_record
from glurpc_cli.targets import all_wire_indices
from glurpc_core import ingest
from glurpc_core.errors import CodedError
from glurpc_core.requests.selection import checked, index_at
from glurpc_core.requests.uploads import prepare_settings, read_upload
from glurpc_wire.codes import ErrorCode

from .options import ALL_SUBJECTS, CohortOptions


@dataclass
class FilePlan:
    """One file's share (one subject's, with `--subject all`). `pending`: (wire
    index, output path or None for numbers) still to compute; `records`: what
    is already settled (skipped outputs, failures); `planned`: every window
    asked for, settled or not (the progress bar's share)."""

    source: Path
    subject: str | None = None
    prepared: ingest.PreparedData | None = None
    pending: list[tuple[int, Path | None]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    planned: int = 0


def failure(
    source: Path, wire: int | None, target: Path | None, exc: Exception, subject: str | None = None
) -> dict[str, Any]:
    if isinstance(exc, CodedError):
        code, message = exc.code, exc.message
    elif isinstance(exc, OSError):
        code, message = ErrorCode.IO_ERROR, f"{exc.strerror or exc}: {exc.filename or source}"
    else:  # a bug: say what it was, keep the cohort going
        code, message = ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}"
    return outcome_record(source, wire, target, "failed", subject, code=str(code), message=message)


def plan_file(source: Path, options: CohortOptions) -> list[FilePlan]:
    """Read `source` once and plan each subject asked for (the one named, or
    every one with `--subject all`); a file that cannot be read is one failure."""
    try:
        # The daemon's bounds: its upload limit, then ingest's parse budget.
        raw = read_upload(options.local(source))
        subjects = _prepared(raw, options.args)
    except (OSError, CodedError) as exc:
        return [_failed(FilePlan(source), exc)]
    return [_plan(FilePlan(source, subject), one, options) for subject, one in subjects]


Prepared = ingest.PreparedData | ingest.IngestError


def _prepared(raw: bytes, args: dict[str, Any]) -> list[tuple[str | None, Prepared]]:
    """Each subject asked for, prepared or the error that stopped it: the one
    named (or the file's one person), or with `--subject all` every subject,
    the table parsed once."""
    asked = args.get("subject")
    if asked != ALL_SUBJECTS:
        subject = str(asked) if asked is not None else None
        try:
            return [(subject, ingest.prepare(raw, prepare_settings(args)))]
        except ingest.IngestError as exc:
            return [(subject, exc)]
    each = ingest.prepare_subjects(raw, prepare_settings({**args, "subject": None}))
    if not each:
        raise OSError("--subject all: the file has one person")  # as the local batch says
    return list(each)


def _failed(plan: FilePlan, exc: Exception) -> FilePlan:
    plan.planned = 1
    plan.records.append(failure(plan.source, None, None, exc, plan.subject))
    return plan


def _plan(plan: FilePlan, prepared: Prepared, options: CohortOptions) -> FilePlan:
    source, subject = plan.source, plan.subject
    if isinstance(prepared, ingest.IngestError):
        return _failed(plan, prepared)
    try:
        wires = _wires(prepared.series, options)
    except CodedError as exc:
        return _failed(plan, exc)
    plan.prepared = prepared
    plan.planned = len(wires)
    for wire in wires:
        target = _target(source, wire, subject, options)
        try:
            checked(plan.prepared.series, [wire])
        except CodedError as exc:
            plan.records.append(failure(source, wire, target, exc, subject))
            continue
        if target is not None and options.skip_existing and _complete(target, options):
            plan.records.append(outcome_record(source, wire, target, "skipped", subject))
        else:
            plan.pending.append((wire, target))
    return plan


def _wires(series: Any, options: CohortOptions) -> list[int]:
    """The windows asked of this series: the one `--at` names, those given, or
    all (for evaluate, oldest first, the order the daemon scores them in)."""
    selection = options.selection
    if options.kind == "evaluate":
        return [int(wire) for wire in series.wire_indices()]
    if selection.at is not None:
        return [index_at(series, selection.at)]  # a time the series lacks: CodedError
    if selection.wires is not None:
        return list(selection.wires)
    return all_wire_indices(series.windows, selection.ahead)


def _complete(target: Path, options: CohortOptions) -> bool:
    """`--skip-existing` keeps what the local path keeps: whole images only."""
    return is_complete_image(options.local(target), options.fmt)


def _target(source: Path, wire: int, subject: str | None, options: CohortOptions) -> Path | None:
    if options.kind != "plot":
        return None
    return options.plan.path_for(source, wire, options.fmt, subject)
