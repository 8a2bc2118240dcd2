"""`glurpc convert`, `glurpc process` and `glurpc forecast`: data out, no images.

Layer: CLI commands. They read the input file, make one call with a progress
line on a terminal, and print results to stdout (or `-o`). They never parse
CGM data themselves: the daemon does, so there is one reading of a file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .engine import EngineArgs, engine_options, run_on_ray
from .output import StageStatus, info, json_line, stderr_is_tty, write_output, write_stdout_bytes
from .session import current_session, read_input
from .targets import (
    AHEAD_WIRE_INDEX,
    OutputPlan,
    SpecError,
    cli_index,
    parse_index_spec,
    wire_indices,
)

FILE = click.Path(dir_okay=False, allow_dash=True)
QUANTILE_KEYS = ("0.05", "0.25", "0.5", "0.75", "0.95")


@click.command()
@click.argument("file", type=FILE)
@click.option("-o", "--output", metavar="OUT", help="Write here instead of stdout.")
def convert(file: str, output: str | None) -> None:
    """Convert a CGM export (Dexcom, Libre, unified) to the unified CSV."""
    data = read_input(file)
    with current_session().connect() as client, StageStatus(f"convert {file}"):
        result = client.convert(data)
    if stderr_is_tty():
        info(f"{file}: detected format {result.get('format', '?')}")
    if output is None or output == "-":
        write_stdout_bytes(result["csv"])
    else:
        write_output(Path(output), result["csv"])


@click.command()
@click.argument("file", type=FILE)
@click.option("--force", is_flag=True, help="Prepare again even if the handle is cached.")
@click.option("--json", "as_json", is_flag=True, help="Print the daemon's answer as JSON.")
def process(file: str, force: bool, as_json: bool) -> None:
    """Prepare a file: print its handle, windows, time span and warnings."""
    data = read_input(file)
    with current_session().connect() as client, StageStatus(f"process {file}") as progress:
        result = client.call("process", {"csv": data, "force": force}, on_progress=progress)
    if as_json:
        json_line(result)
        return
    samples = int(result.get("samples", 0))
    click.echo(f"handle: {result.get('handle')}")
    span = f"--index 0..{samples - 1}" if samples > 0 else "none"
    click.echo(f"windows: {samples} ({span}; --ahead for the next hour)")
    click.echo(f"span: {result.get('start')} .. {result.get('end')}")
    warnings = result.get("warnings") or []
    click.echo(f"warnings: {len(warnings) or 'none'}")
    width = max((len(str(w.get("flag", ""))) for w in warnings), default=0)
    for warning in warnings:
        click.echo(f"  {str(warning.get('flag', '')):<{width}}  {warning.get('message', '')}")


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option(
    "-i",
    "--index",
    "index_spec",
    metavar="N|LIST|A..B",
    help="Windows before the latest (0 = latest with a known next hour). Default 0. "
    "Several windows or files: --engine ray.",
)
@click.option("--ahead", is_flag=True, help="The pure forecast of the hour after the data.")
@click.option("--all", "every", is_flag=True, help="Every window of each file (--engine ray).")
@click.option("--json", "fmt", flag_value="json", default=True, help="JSON object (default).")
@click.option("--csv", "fmt", flag_value="csv", help="CSV: one row per time step.")
@click.option("-o", "--output", metavar="FILE", help="Write here instead of stdout (--engine ray).")
@engine_options
def forecast(
    files: tuple[str, ...],
    index_spec: str | None,
    ahead: bool,
    every: bool,
    fmt: str,
    output: str | None,
    engine: EngineArgs,
) -> None:
    """Print forecast windows: history, truth, median and quantiles.

    \b
    glurpc forecast cgm.csv --index 3
    glurpc forecast cohort/*.csv --all --engine ray -o cohort.jsonl
    """
    try:
        wires = _forecast_wires(index_spec, ahead, every)
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc
    if engine.ray:
        job = {"kind": "forecast", "plan": OutputPlan(stdout=True), "fmt": fmt, "output": output}
        click.get_current_context().exit(run_on_ray(files, engine, wires, ahead, **job))
    if len(files) > 1 or wires is None or len(wires) > 1 or output is not None:
        raise click.UsageError("several files or windows, and -o, need --engine ray")
    forecast_one(files[0], wires[0], fmt)


def _forecast_wires(index_spec: str | None, ahead: bool, every: bool) -> list[int] | None:
    """Wire indices to forecast; None for --all."""
    if every:
        if index_spec is not None:
            raise SpecError("--all already covers every window; drop --index")
        return None
    indices = parse_index_spec(index_spec) if index_spec is not None else []
    if ahead and index_spec is None:
        return [AHEAD_WIRE_INDEX]
    return wire_indices(indices or [0], ahead)


def forecast_one(file: str, wire: int, fmt: str) -> None:
    """One window of one file, through the daemon."""
    data = read_input(file)
    with current_session().connect() as client, StageStatus(f"forecast {file}") as progress:
        result = client.forecast(csv=data, index=wire, on_progress=progress)
    if fmt == "json":
        json_line({**result, "file": file, "index": cli_index(wire), "wire_index": wire})
    else:
        write_forecast_csv(result, sys.stdout)


def forecast_rows(result: dict[str, Any]) -> list[list[Any]]:
    """One row per time step: history rows first, then the forecast steps.

    The forecast's instants are the last entries of `times`; the history's are
    `history_times` (or, from a daemon that sends one long `times`, the entries
    before the forecast's).
    """
    times = list(result.get("times") or [])
    history = list(result.get("history") or [])
    median = list(result.get("median") or [])
    truth = list(result.get("truth") or [None] * len(median))
    quantiles = result.get("quantiles") or {}
    history_times = list(result.get("history_times") or times[: max(0, len(times) - len(median))])
    history_times = history_times[-len(history) :] if history else []
    history_times = [None] * (len(history) - len(history_times)) + history_times
    rows: list[list[Any]] = [
        [when, value, None, None, *([None] * len(QUANTILE_KEYS))]
        for when, value in zip(history_times, history, strict=True)
    ]
    future_times = times[-len(median) :] if median else []
    for step, when in enumerate(future_times):
        levels = [(quantiles.get(key) or [None] * len(median))[step] for key in QUANTILE_KEYS]
        rows.append([when, None, truth[step], median[step], *levels])
    return rows


def write_forecast_csv(result: dict[str, Any], stream: Any) -> None:
    import csv

    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["time", "history", "truth", "median", *(f"q{key}" for key in QUANTILE_KEYS)])
    for row in forecast_rows(result):
        writer.writerow(["" if value is None else value for value in row])
