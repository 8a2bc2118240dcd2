"""`glurpc plot` and `glurpc quick-plot`: forecast images to files or stdout.

Layer: CLI commands. They read the options, plan the outputs (targets.py)
and either make one call (one file, one window: the csv goes with the plot
request, one round trip, the path a cached plot takes) or hand the work to
`batch.py` (many files or windows). They never decode images.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .data_warnings import WarningsShown
from .engine import EngineArgs, check_ray_selection, engine_options, run_on_ray
from .errors import RequestFailed
from .output import (
    StageStatus,
    info,
    is_complete_image,
    json_line,
    prepare_directory,
    refuse_binary_to_terminal,
    write_output,
    write_stdout_bytes,
)
from .plot_grid import check_grid, plot_grid
from .records import outcome_record
from .selection import (
    adapt_option,
    at_option,
    model_args,
    model_option,
    models_option,
    selection_args,
    translated,
    units_option,
    upload_args,
    upload_options,
)
from .session import current_session, read_input
from .targets import (
    IMAGE_FORMATS,
    OutputPlan,
    SpecError,
    check_template,
    find_collisions,
    image_format,
    parse_index_spec,
    plan_outputs,
    wire_indices,
)

FORMATS = click.Choice(IMAGE_FORMATS)
FILE = click.Path(dir_okay=False, allow_dash=True)
FORMAT_HELP = "Image format (default: the -o file's extension, else png)."
FORCE_BINARY_HELP = "Write the image with -o - even when stdout is a terminal."


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option(
    "-i",
    "--index",
    "index_spec",
    metavar="N|LIST|A..B",
    help="Windows before the latest (0 = latest): 3, 0,3,5 or 0..23. Default 0.",
)
@click.option("--ahead", is_flag=True, help="Also (or only) the forecast of the next hour.")
@click.option("--all", "every", is_flag=True, help="Every window of each file.")
@click.option(
    "-o",
    "--output",
    metavar="OUT",
    help="File, directory (several images) or - for stdout. Default: ./FILE_iN.FMT.",
)
@click.option(
    "--name",
    "name_template",
    metavar="TEMPLATE",
    help="File names in -o DIR/ from {stem}, {parent}, {subject}, {window}, {index} "
    "(e.g. {parent}_{stem}_{window}); the extension is the format's.",
)
@click.option("-f", "--format", "fmt", type=FORMATS, default=None, help=FORMAT_HELP)
@click.option("--force-binary", is_flag=True, help=FORCE_BINARY_HELP)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Parallel connections for many files or windows.",
)
@click.option(
    "--skip-existing", is_flag=True, help="Keep outputs that are complete images (resume a batch)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per image on stdout.")
@click.option(
    "--combine",
    type=click.Choice(["grid", "overlay"]),
    default=None,
    help="Draw the --index windows (2..12) as one image: their plots in rows of three "
    "(grid, PNG) or on one axis, aligned at their forecast starts (overlay).",
)
@at_option
@units_option
@click.option(
    "--history-hours",
    type=click.FloatRange(0, 8, min_open=True),
    default=None,
    help="Hours of history shown (default: the model's whole 8-hour input).",
)
@click.option("--dpi", type=click.IntRange(50, 600), default=None, help="Resolution (default 100).")
@click.option("--title", metavar="TEXT", default=None, help="Replace the plot's title.")
@models_option
@adapt_option
@upload_options
@engine_options
def plot(
    files: tuple[str, ...],
    index_spec: str | None,
    ahead: bool,
    every: bool,
    output: str | None,
    name_template: str | None,
    fmt: str | None,
    force_binary: bool,
    jobs: int,
    skip_existing: bool,
    as_json: bool,
    combine: str | None,
    at: str | None,
    units: str | None,
    history_hours: float | None,
    dpi: int | None,
    title: str | None,
    models: tuple[str, ...],
    adapt: str | None,
    subject: str | None,
    sequence: str,
    engine: EngineArgs,
) -> None:
    """Plot forecast windows of one or more CGM files.

    \b
    glurpc plot cgm.csv --index 3 -o fig.png
    glurpc plot cgm.csv --index 0..23 -o out/
    glurpc plot cgm.csv --index 0..2 --combine grid -o last-three.png
    glurpc plot cgm.csv --index 0,12,24 --combine overlay -o compare.svg
    glurpc plot cgm.csv --at 2024-03-05T14:30 --units mmol/L
    glurpc plot cohort.csv --subject all --all -o out/
    glurpc plot cohort/*.csv --all -o out/ --jobs 4 --skip-existing
    glurpc plot cohort/*.csv --all -o out/ --engine ray --skip-existing
    glurpc plot cgm.csv --model default --model published -o both.png
    """
    style = {
        key: value
        for key, value in (
            ("units", units), ("history_hours", history_hours), ("dpi", dpi), ("title", title),
            ("adapt", adapt),
        )
        if value is not None
    }  # fmt: skip
    try:
        wires = _wires(index_spec, ahead, every, at)
        if combine is not None:
            check_grid(files, wires, every, subject)
        one_window = len(files) == 1 and subject != "all"  # --at on Ray: a window per file
        single = (
            (one_window and len(wires) == 1 and not every)
            or (at is not None and (one_window or not engine.ray))
            or combine is not None
        )
        plan = plan_outputs(output, single, name_template)
        image = image_format(fmt, plan)
        if files.count("-") > 1:
            raise SpecError("stdin (-) can be read once; name it once")
        sources = [Path(name) for name in files]
        check_template(plan, several_windows=every or len(wires) > 1, subjects=subject == "all")
        clashes = find_collisions(sources, plan)
        if clashes and plan.file is None:
            hint = (
                "" if plan.template else " (tell them apart with --name {parent}_{stem}_{window})"
            )
            raise SpecError(
                f"several inputs would write {', '.join(clashes)}: outputs would clash{hint}"
            )
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc
    if engine.ray:  # its --model is a checkpoint file (engine.model)
        request = {**upload_args(subject, sequence), **style}
        job = {"kind": "plot", "plan": plan, "fmt": image, "skip_existing": skip_existing}
        check_ray_selection(files, plan.stdout)
        wanted = None if every else wires
        code = run_on_ray(files, engine, wanted, ahead, at, as_json=as_json, request=request, **job)
        click.get_current_context().exit(code)
    style.update(model_args(models))
    if plan.stdout:
        refuse_binary_to_terminal(force_binary)
    if at is not None and (len(files) != 1 or subject == "all"):
        raise click.UsageError("--at plots one window of one file and one subject")
    upload = upload_args(subject, sequence)
    if combine is not None:
        if combine == "grid" and image != "png":
            raise click.UsageError(
                "--combine grid writes a PNG (--combine overlay draws any format)"
            )
        plot_grid(files[0], {**upload, **style}, wires, plan, as_json, combine, image)
        return
    if single:
        request = {**upload, **style, **selection_args(wires, at)}
        plot_one(files[0], request, image, plan, skip_existing, as_json)
        return
    # Imported here: only batches pay for threads and queues.
    from .batch import run_batch
    from .batch_tasks import BatchOptions

    options = BatchOptions(
        wires=None if every else wires,
        ahead=ahead,
        fmt=image,
        plan=plan,
        jobs=jobs,
        skip_existing=skip_existing,
        as_json=as_json,
        subject=subject,
        upload=upload,
        style=style,
    )
    ctx = click.get_current_context()
    ctx.exit(run_batch(current_session(), sources, options))


def _wires(index_spec: str | None, ahead: bool, every: bool, at: str | None) -> list[int]:
    """Wire indices of `--index`/`--ahead` (0 when nothing is named); SpecError."""
    cli_indices = parse_index_spec(index_spec) if index_spec is not None else []
    if every and index_spec is not None:
        raise SpecError("--all already covers every window; drop --index")
    if at is not None and (every or index_spec is not None or ahead):
        raise SpecError("--at picks one window; drop --index, --ahead and --all")
    if not cli_indices and not ahead and not every:
        cli_indices = [0]
    return wire_indices(cli_indices, ahead)


def plot_one(
    file: str,
    request: dict,
    fmt: str,
    plan: OutputPlan,
    skip_existing: bool,
    as_json: bool,
) -> None:
    """One window of one file: a single `plot` request carrying the csv. With `--at`
    the window (and so the default output name) is known only from the answer."""
    subject = request.get("subject")
    wire = request.get("index")
    target = plan.path_for(Path(file), wire, fmt, subject) if wire is not None else None
    if wire is not None and target is not None and skip_existing:
        if is_complete_image(target, fmt):
            if as_json:
                json_line(outcome_record(file, int(wire), target, "skipped", subject))
            return
    data = read_input(file)
    if plan.file is None and not plan.stdout:
        prepare_directory(plan.directory, plan.create)
    with current_session().connect() as client, StageStatus(f"plot {file}") as progress:
        try:
            result = client.call(
                "plot", {"csv": data, "format": fmt, **request}, on_progress=progress
            )
        except RequestFailed as exc:
            failure = translated(exc)
            if as_json and isinstance(failure, RequestFailed):
                # A script reading --json sees every image asked for, failed ones too.
                values = {"code": failure.code, "message": failure.message}
                record = outcome_record(file, wire, target or "-", "failed", subject, **values)
                json_line(record)
            raise failure from None
    wire = int(result.get("index", wire or 0))
    target = plan.path_for(Path(file), wire, fmt, subject)
    save_image(result["image"], target)
    WarningsShown().show(file, subject, result.get("warnings"))
    if as_json:
        record = outcome_record(file, wire, target or "-", "written", subject, **_summary(result))
        json_line(record)
    elif target is not None:
        info(f"wrote {target}")


@click.command("quick-plot")
@click.argument("file", type=FILE)
@click.option("-o", "--output", metavar="OUT", help="File or - for stdout. Default ./FILE_i0.FMT.")
@click.option("-f", "--format", "fmt", type=FORMATS, default=None, help=FORMAT_HELP)
@click.option("--force-binary", is_flag=True, help=FORCE_BINARY_HELP)
@click.option("--json", "as_json", is_flag=True, help="A JSON line about the image on stdout.")
@units_option
@model_option
@adapt_option
@upload_options
def quick_plot(
    file: str,
    output: str | None,
    fmt: str | None,
    force_binary: bool,
    as_json: bool,
    units: str | None,
    model: str | None,
    adapt: str | None,
    subject: str | None,
    sequence: str,
) -> None:
    """Plot the latest window in one step and show the file's warnings."""
    try:
        plan = plan_outputs(output, single=True)
        image = image_format(fmt, plan)
        if subject == "all":
            raise SpecError("quick-plot shows one subject; use plot --subject all")
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc
    if plan.stdout:
        refuse_binary_to_terminal(force_binary)
    target = plan.path_for(Path(file), 0, image, subject)
    data = read_input(file)
    if target is not None and plan.file is None:
        prepare_directory(plan.directory, plan.create)
    args = {"csv": data, "format": image, **upload_args(subject, sequence), **model_args(model)}
    if units is not None:
        args["units"] = units
    if adapt is not None:
        args["adapt"] = adapt
    with current_session().connect() as client, StageStatus(f"quick-plot {file}") as progress:
        try:
            result = client.call("quick_plot", args, on_progress=progress)
        except RequestFailed as exc:
            raise translated(exc) from None
    save_image(result["image"], target)
    WarningsShown().show(file, subject, result.get("warnings"))
    if as_json:
        record = outcome_record(file, 0, target or "-", "written", subject, **_summary(result))
        json_line(record)
    elif target is not None:
        info(f"wrote {target}")


def save_image(image: bytes, target: Path | None) -> None:
    if target is None:
        write_stdout_bytes(image)
    else:
        write_output(target, image)


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    """What the reply says about the image, for its --json record."""
    keys = ("handle", "format", "model", "adapt", "window_start", "forecast_start", "warnings")
    return {key: result.get(key) for key in keys} | {"bytes": len(result.get("image") or b"")}
