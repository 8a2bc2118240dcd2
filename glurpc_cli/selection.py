"""What every data command shares: the upload options (`--subject`, `--sequence`),
window selection (`--index`, `--ahead`, `--all`, `--at`) and error wording in the
user's numbering.

Layer: CLI planning and error translation. `--index N` is wire index -N and
`--ahead` wire 12 (PROTOCOL.md); messages about indices speak in `--index`
numbers, so `--index 389` on a 389-window file says 0..388. A multi-subject
file without `--subject` is a usage error (exit 2) that lists the subjects.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from glurpc_wire.codes import ErrorCode

from .client import Client
from .errors import RequestFailed
from .targets import AHEAD_WIRE_INDEX

UNITS = ("mg/dL", "mmol/L")
ADAPT = ("none", "personal-ar")
SEQUENCES = ("all", "latest", "longest")
ALL_SUBJECTS = "all"


def upload_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--subject` and `--sequence`, as every data command takes them."""
    command = click.option(
        "--sequence",
        type=click.Choice(SEQUENCES),
        default="all",
        show_default=True,
        help="Which gap-free stretches to use: every one, the latest or the longest.",
    )(command)
    return click.option(
        "--subject",
        metavar="ID|all",
        help="One subject of a multi-subject table, or 'all' for each in turn.",
    )(command)


def at_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--at",
        "at",
        metavar="TIMESTAMP",
        callback=_checked_at,
        help="The window whose forecast starts at the latest grid point not after this "
        "time (ISO 8601 on the file's own clock, no UTC offset), e.g. 2024-03-05T14:30.",
    )(command)


def _checked_at(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A usage error (exit 2) for a time the daemon would refuse (glurpc_wire.times)."""
    if value is None:
        return None
    from glurpc_wire.times import local_time  # only --at pays for datetime

    try:
        local_time(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return value


def units_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--units",
        type=click.Choice(UNITS, case_sensitive=False),
        default=None,
        help="Units of plots and numbers (default: the unit the file was recorded in).",
    )(command)


def model_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--model NAME`: one model of the daemon's store (`glurpc models`)."""
    return click.option(
        "--model",
        metavar="NAME",
        default=None,
        help="A model of the daemon's store by name or id (default: the daemon's); "
        "with --engine ray, a checkpoint file.",
    )(command)


def models_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--model NAME`, repeatable: two to four draw side by side on one figure."""
    return click.option(
        "--model",
        "models",
        metavar="NAME",
        multiple=True,
        help="A model of the daemon's store (default: the daemon's); give 2-4 to draw "
        "their forecasts side by side on one figure. With --engine ray, one checkpoint file.",
    )(command)


def model_args(models: tuple[str, ...] | str | None) -> dict[str, Any]:
    """The wire's `model`: absent, one name, or a list of names to compare."""
    if not models:
        return {}
    if isinstance(models, str):
        return {"model": models}
    return {"model": models[0]} if len(models) == 1 else {"model": list(models)}


def adapt_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--adapt",
        type=click.Choice(ADAPT),
        default=None,
        help="Personal adaptation: personal-ar forecasts from a model refitted on the file's "
        "own earlier readings, with bands from its own recent errors; none serves the network "
        "alone. Default: personal-ar, or none when --model names a model (the personal "
        "forecast is the same whatever the model).",
    )(command)


def upload_args(subject: str | None, sequence: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if subject is not None:
        args["subject"] = subject
    if sequence != "all":
        args["sequence"] = sequence
    return args


def subjects_to_run(
    client: Client, data: bytes, subject: str | None, sequence: str
) -> list[str | None]:
    """[None] for one person or one chosen subject; every subject for `--subject all`."""
    if subject != ALL_SUBJECTS:
        return [subject]
    listing = client.call("process", {"csv": data, **upload_args(None, sequence)})
    entries = listing.get("subjects")
    if not entries:
        raise click.UsageError("--subject all: the file has no subject column (one person)")
    return [str(entry["subject"]) for entry in entries]


def translated(exc: RequestFailed, typed: str | None = None) -> Exception:
    """A usage error for a multi-subject file; index errors in `--index` numbers."""
    details = exc.details or {}
    if exc.code == ErrorCode.INVALID_DATA and details.get("reason") == "several_subjects":
        subjects = ", ".join(str(s) for s in details.get("subjects", []))
        return click.UsageError(
            f"the file holds several subjects ({subjects}); choose one with --subject ID "
            "or use --subject all"
        )
    if exc.code == ErrorCode.INDEX_OUT_OF_RANGE and "windows" in details and "at" not in details:
        windows = int(details["windows"])
        valid = f"0..{windows - 1}" if windows > 0 else "none"
        asked = typed or _typed_index(details.get("index"))
        outside = int(details.get("outside", 1))
        what = f"{asked} is" if outside == 1 else f"{asked}: {outside} of the windows asked are"
        return RequestFailed(
            f"{what} outside --index {valid} (this data has {windows} windows; "
            "--ahead for the next hour)",
            code=exc.code,
            details=details,
            request_id=exc.request_id,
        )
    return exc


def _typed_index(wire: Any) -> str:
    if isinstance(wire, int) and wire > 0:
        return "--ahead" if wire == AHEAD_WIRE_INDEX else f"{wire} steps ahead"
    return f"--index {-int(wire)}" if isinstance(wire, int) else "the index"


def selection_args(wires: list[int] | None, at: str | None) -> dict[str, Any]:
    """Wire args naming the windows: `at`, one `index`, or `indices`."""
    if at is not None:
        return {"at": at}
    assert wires
    return {"index": wires[0]} if len(wires) == 1 else {"indices": wires}


def all_windows(client: Client, data: bytes, args: dict[str, Any], ahead: bool) -> list[int]:
    """Every window of the upload, latest first (and --ahead)."""
    result = client.call("process", {"csv": data, **args})
    windows = int(result.get("windows", result.get("samples", 0)))
    wires = [-n for n in range(windows)]
    return wires + [AHEAD_WIRE_INDEX] if ahead else wires
