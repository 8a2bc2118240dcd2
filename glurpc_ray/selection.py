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
from glurpc_core.requests.selection import checked
from glurpc_core.requests.uploads import prepare_settings, read_upload
from glurpc_wire.codes import ErrorCode

from .options import CohortOptions


@dataclass
class FilePlan:
    """`pending`: (wire index, output path or None for numbers) still to compute;
    `records`: what is already settled (skipped outputs, failures); `planned`:
    every window asked for, settled or not (the progress bar's share)."""

    source: Path
    prepared: ingest.PreparedData | None = None
    pending: list[tuple[int, Path | None]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    planned: int = 0


def failure(source: Path, wire: int | None, target: Path | None, exc: Exception) -> dict[str, Any]:
    if isinstance(exc, CodedError):
        code, message = exc.code, exc.message
    elif isinstance(exc, OSError):
        code, message = ErrorCode.IO_ERROR, f"{exc.strerror or exc}: {exc.filename or source}"
    else:  # a bug: say what it was, keep the cohort going
        code, message = ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}"
    return outcome_record(source, wire, target, "failed", code=str(code), message=message)


def plan_file(source: Path, options: CohortOptions) -> FilePlan:
    """Read and prepare `source`; a file that cannot be read or prepared is one failure."""
    plan = FilePlan(source)
    try:
        # The daemon's bounds: its upload limit, then ingest's parse budget.
        raw = read_upload(options.local(source))
        plan.prepared = ingest.prepare(raw, prepare_settings(options.args))
    except (OSError, CodedError) as exc:
        plan.planned = 1
        plan.records.append(failure(source, None, None, exc))
        return plan
    series = plan.prepared.series
    selection = options.selection
    wires = (
        list(selection.wires)
        if selection.wires is not None
        else all_wire_indices(series.windows, selection.ahead)
    )
    plan.planned = len(wires)
    for wire in wires:
        target = _target(source, wire, options)
        try:
            checked(series, [wire])
        except CodedError as exc:
            plan.records.append(failure(source, wire, target, exc))
            continue
        if target is not None and options.skip_existing and _complete(target, options):
            plan.records.append(outcome_record(source, wire, target, "skipped"))
        else:
            plan.pending.append((wire, target))
    return plan


def _complete(target: Path, options: CohortOptions) -> bool:
    """`--skip-existing` keeps what the local path keeps: whole images only."""
    return is_complete_image(options.local(target), options.fmt)


def _target(source: Path, wire: int, options: CohortOptions) -> Path | None:
    if options.kind != "plot":
        return None
    subject = options.args.get("subject")
    return options.plan.path_for(source, wire, options.fmt, str(subject) if subject else None)
