"""`glurpc plot` and `glurpc quick-plot`: forecast images to files or stdout.

Layer: CLI commands. They read the options, plan the outputs (targets.py)
and either make one call (one file, one window: the csv goes with the plot
request, one round trip, the path a cached plot takes) or hand the work to
`batch.py` (many files or windows). They never decode images.
"""

from __future__ import annotations

from pathlib import Path

import click

from .output import (
    StageStatus,
    info,
    is_complete_image,
    json_line,
    prepare_directory,
    refuse_binary_to_terminal,
    stderr_is_tty,
    write_output,
    write_stdout_bytes,
)
from .session import current_session, read_input
from .targets import (
    IMAGE_FORMATS,
    OutputPlan,
    SpecError,
    cli_index,
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
def plot(
    files: tuple[str, ...],
    index_spec: str | None,
    ahead: bool,
    every: bool,
    output: str | None,
    fmt: str | None,
    force_binary: bool,
    jobs: int,
    skip_existing: bool,
    as_json: bool,
) -> None:
    """Plot forecast windows of one or more CGM files.

    \b
    glurpc plot cgm.csv --index 3 -o fig.png
    glurpc plot cgm.csv --index 0..23 -o out/
    glurpc plot cohort/*.csv --all -o out/ --jobs 4 --skip-existing
    """
    try:
        cli_indices = parse_index_spec(index_spec) if index_spec is not None else []
        if every and index_spec is not None:
            raise SpecError("--all already covers every window; drop --index")
        if not cli_indices and not ahead and not every:
            cli_indices = [0]
        wires = wire_indices(cli_indices, ahead)
        single = len(files) == 1 and len(wires) == 1 and not every
        plan = plan_outputs(output, single)
        image = image_format(fmt, plan)
        if files.count("-") > 1:
            raise SpecError("stdin (-) can be read once; name it once")
        sources = [Path(name) for name in files]
        clashes = find_collisions(sources)
        if clashes and plan.file is None:
            raise SpecError(f"several inputs are named {', '.join(clashes)}: outputs would clash")
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc
    if plan.stdout:
        refuse_binary_to_terminal(force_binary)
    if single:
        plot_one(files[0], wires[0], image, plan, skip_existing, as_json)
        return
    from .batch import BatchOptions, run_batch  # only batches pay for threads and queues

    options = BatchOptions(
        wires=None if every else wires,
        ahead=ahead,
        fmt=image,
        plan=plan,
        jobs=jobs,
        skip_existing=skip_existing,
        as_json=as_json,
    )
    ctx = click.get_current_context()
    ctx.exit(run_batch(current_session(), sources, options))


def plot_one(
    file: str, wire: int, fmt: str, plan: OutputPlan, skip_existing: bool, as_json: bool
) -> None:
    """One window of one file: a single `plot` request carrying the csv."""
    target = plan.path_for(Path(file), wire, fmt)
    record = {
        "file": file,
        "index": cli_index(wire),
        "wire_index": wire,
        "output": str(target) if target else "-",
    }
    if target is not None and skip_existing and is_complete_image(target, fmt):
        if as_json:
            json_line({**record, "status": "skipped"})
        return
    data = read_input(file)
    if target is not None and plan.file is None:
        prepare_directory(plan.directory, plan.create)
    with current_session().connect() as client, StageStatus(f"plot {file}") as progress:
        result = client.plot(csv=data, index=wire, format=fmt, on_progress=progress)
    save_image(result["image"], target)
    if as_json:
        json_line({**record, "status": "written", **_summary(result)})
    elif target is not None and stderr_is_tty():
        info(f"wrote {target}")


@click.command("quick-plot")
@click.argument("file", type=FILE)
@click.option("-o", "--output", metavar="OUT", help="File or - for stdout. Default ./FILE_i0.FMT.")
@click.option("-f", "--format", "fmt", type=FORMATS, default=None, help=FORMAT_HELP)
@click.option("--force-binary", is_flag=True, help=FORCE_BINARY_HELP)
@click.option("--json", "as_json", is_flag=True, help="A JSON line about the image on stdout.")
def quick_plot(
    file: str, output: str | None, fmt: str | None, force_binary: bool, as_json: bool
) -> None:
    """Plot the latest window in one step and show the file's warnings."""
    try:
        plan = plan_outputs(output, single=True)
        image = image_format(fmt, plan)
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc
    if plan.stdout:
        refuse_binary_to_terminal(force_binary)
    target = plan.path_for(Path(file), 0, image)
    data = read_input(file)
    if target is not None and plan.file is None:
        prepare_directory(plan.directory, plan.create)
    with current_session().connect() as client, StageStatus(f"quick-plot {file}") as progress:
        result = client.quick_plot(data, format=image, on_progress=progress)
    save_image(result["image"], target)
    for warning in result.get("warnings") or []:
        info(f"warning: {warning.get('flag')}: {warning.get('message')}")
    if as_json:
        json_line(
            {
                "file": file,
                "output": str(target) if target else "-",
                "warnings": result.get("warnings") or [],
                **_summary(result),
            }
        )


def save_image(image: bytes, target: Path | None) -> None:
    if target is None:
        write_stdout_bytes(image)
    else:
        write_output(target, image)


def _summary(result: dict) -> dict:
    keys = ("handle", "index", "format", "window_start", "forecast_start")
    summary = {key: result.get(key) for key in keys if key in result}
    if "index" in summary:
        summary["wire_index"] = summary.pop("index")
    summary["bytes"] = len(result.get("image") or b"")
    return summary
