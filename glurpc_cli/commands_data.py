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

from .output import StageStatus, info, json_line, stderr_is_tty, write_output, write_stdout_bytes
from .session import current_session, read_input
from .targets import AHEAD_WIRE_INDEX, cli_index

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
@click.argument("file", type=FILE)
@click.option(
    "--index",
    "index",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Windows before the latest one (0 is the latest with a known next hour).",
)
@click.option("--ahead", is_flag=True, help="The pure forecast of the hour after the data.")
@click.option("--json", "fmt", flag_value="json", default=True, help="JSON object (default).")
@click.option("--csv", "fmt", flag_value="csv", help="CSV: one row per time step.")
def forecast(file: str, index: int, ahead: bool, fmt: str) -> None:
    """Print one window's history, truth, median and quantiles."""
    wire = AHEAD_WIRE_INDEX if ahead else -index
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
