"""`glurpc plot FILE --index 0..2 --combine grid|overlay`: several windows in one image.

Layer: CLI command helper. One `plot` request names the windows (`indices`) and
`combine`: "grid" tiles each window's own plot into one PNG
(glurpc_core/render/grid.py), "overlay" draws them on one axis aligned at their
forecast starts (glurpc_core/render/overlay.py). The default name says which
windows it holds: `cgm_i0-i2.png`, `cgm_i0-i2_overlay.svg`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .data_warnings import WarningsShown
from .errors import RequestFailed
from .output import (
    StageStatus,
    info,
    json_line,
    prepare_directory,
    write_output,
    write_stdout_bytes,
)
from .records import outcome_record
from .selection import translated
from .session import current_session, read_input
from .targets import OutputPlan, SpecError, safe_subject, source_stem, window_label

GRID_WINDOWS = (2, 12)  # what one grid holds (the daemon's MAX_GRID_WINDOWS)


def check_grid(files: tuple[str, ...], wires: list[int], every: bool, subject: str | None) -> None:
    """What a grid can show: 2..12 named windows of one file and one subject (SpecError)."""
    if len(files) != 1 or every or subject == "all":
        raise SpecError(
            "--combine draws windows of one file and one subject: name them with --index"
        )
    low, high = GRID_WINDOWS
    if not low <= len(wires) <= high:
        raise SpecError(f"--combine draws {low}..{high} windows, not {len(wires)}")


def grid_target(
    plan: OutputPlan, source: Path, wires: list[int], subject: str | None, kind: str, fmt: str
) -> Path | None:
    if plan.stdout:
        return None
    if plan.file is not None:
        return plan.file
    who = f"_{safe_subject(subject)}" if subject is not None else ""
    span = f"{window_label(wires[0])}-{window_label(wires[-1])}"
    suffix = "" if kind == "grid" else f"_{kind}"
    return plan.directory / f"{source_stem(source)}{who}_{span}{suffix}.{fmt}"


def plot_grid(
    file: str,
    request: dict[str, Any],
    wires: list[int],
    plan: OutputPlan,
    as_json: bool,
    kind: str = "grid",
    fmt: str = "png",
) -> None:
    subject = request.get("subject")
    target = grid_target(plan, Path(file), wires, subject, kind, fmt)
    data = read_input(file)
    if target is not None and plan.file is None:
        prepare_directory(plan.directory, plan.create)
    args = {"csv": data, "format": fmt, "indices": wires, "combine": kind, **request}
    with current_session().connect() as client, StageStatus(f"plot {file}") as progress:
        try:
            result = client.call("plot", args, on_progress=progress)
        except RequestFailed as exc:
            raise translated(exc) from None
    image = result["image"]
    if target is None:
        write_stdout_bytes(image)
    else:
        write_output(target, image)
    WarningsShown().show(file, subject, result.get("warnings"))
    if as_json:
        facts = {key: result.get(key) for key in ("handle", "format", "model", "warnings")}
        json_line(
            outcome_record(
                file, None, target or "-", "written", subject, **facts, bytes=len(image),
                indices=[-wire if wire <= 0 else None for wire in wires],
            )
        )  # fmt: skip
    elif target is not None:
        info(f"wrote {target}")
