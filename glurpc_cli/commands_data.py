"""`glurpc convert`, `glurpc process` and `glurpc forecast`: data out, no images.

Layer: CLI commands. They read the input file, make their calls with a progress
line on a terminal, and print results to stdout (or `-o`). They never parse
CGM data themselves: the daemon does, so there is one reading of a file.
`forecast` takes the same window selection as `plot` and streams one JSON line
(or CSV row) per window as each request of up to FORECAST_CHUNK windows lands:
the daemon runs each request's windows in full model batches.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import click

from .data_warnings import WarningsShown
from .engine import EngineArgs, check_ray_selection, engine_options, run_on_ray
from .errors import RequestFailed
from .output import (
    StageStatus,
    info,
    json_line,
    stderr_is_tty,
    write_output,
    write_stdout_bytes,
    write_text,
)
from .process_view import print_summary, write_windows
from .records import FORECAST_CHUNK, csv_header, window_record, window_text
from .selection import (
    adapt_option,
    all_windows,
    at_option,
    model_args,
    model_option,
    selection_args,
    subjects_to_run,
    translated,
    units_option,
    upload_args,
    upload_options,
)
from .session import current_session, read_input
from .targets import OutputPlan, SpecError, parse_index_spec, wire_indices

FILE = click.Path(dir_okay=False, allow_dash=True)


@click.command()
@click.argument("file", type=FILE)
@click.option("-o", "--output", metavar="OUT", help="Write here instead of stdout.")
@upload_options
def convert(file: str, output: str | None, subject: str | None, sequence: str) -> None:
    """Convert a CGM export (Dexcom, Libre, unified) to the unified CSV."""
    if subject == "all":
        raise click.UsageError("convert writes one subject; name it with --subject ID")
    data = read_input(file)
    args = {"csv": data, **upload_args(subject, "all")}
    with current_session().connect() as client, StageStatus(f"convert {file}"):
        try:
            result = client.call("convert", args)
        except RequestFailed as exc:
            raise translated(exc) from None
    if stderr_is_tty():
        info(f"{file}: detected format {result.get('format', '?')}")
    if output is None or output == "-":
        write_stdout_bytes(result["csv"])
    else:
        write_output(Path(output), result["csv"])


@click.command()
@click.argument("file", type=FILE)
@click.option("--force", is_flag=True, help="Prepare again even if the handle is cached.")
@click.option("--windows", "list_windows", is_flag=True, help="List every window.")
@click.option("--json", "fmt", flag_value="json", help="Print the daemon's answer as JSON.")
@click.option("--csv", "fmt", flag_value="csv", help="With --windows: the window list as CSV.")
@upload_options
def process(
    file: str, force: bool, list_windows: bool, fmt: str | None, subject: str | None, sequence: str
) -> None:
    """Prepare a file: its handle, stretches, windows, row accounting and warnings.

    \b
    glurpc process cgm.csv
    glurpc process cohort.csv                      # lists the subjects
    glurpc process cgm.csv --windows --csv > windows.csv
    """
    data = read_input(file)
    with current_session().connect() as client, StageStatus(f"process {file}") as progress:
        try:
            subjects = subjects_to_run(client, data, subject, sequence)
            results = []
            for one in subjects:
                args = {"csv": data, "force": force, **upload_args(one, sequence)}
                if list_windows:
                    args["windows"] = True
                results.append(client.call("process", args, on_progress=progress))
        except RequestFailed as exc:
            raise translated(exc) from None
    if list_windows and fmt != "json":
        write_windows(results, as_csv=fmt == "csv")
        return
    for result in results:
        if fmt == "json":
            json_line({"file": file, **result})
        else:
            print_summary(result)


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
@click.option("--all", "every", is_flag=True, help="Every window of the file.")
@at_option
@click.option("--json", "fmt", flag_value="json", default=True, help="JSON lines (default).")
@click.option("--csv", "fmt", flag_value="csv", help="CSV: one row per window.")
@click.option("-o", "--output", metavar="FILE", help="Write here instead of stdout (atomically).")
@units_option
@model_option
@adapt_option
@upload_options
@engine_options
def forecast(
    files: tuple[str, ...],
    index_spec: str | None,
    ahead: bool,
    every: bool,
    at: str | None,
    fmt: str,
    units: str | None,
    model: str | None,
    adapt: str | None,
    subject: str | None,
    sequence: str,
    output: str | None,
    engine: EngineArgs,
) -> None:
    """Print forecasts: one JSON line (or CSV row) per window, as they are computed.

    \b
    glurpc forecast cgm.csv --index 3
    glurpc forecast cgm.csv --all --csv > forecasts.csv
    glurpc forecast cohort.csv --subject all --at 2024-03-05T14:30
    glurpc forecast cohort/*.csv --all --engine ray -o cohort.jsonl
    """
    try:
        wires = _selection(index_spec, ahead, every, at)
    except SpecError as exc:
        raise click.UsageError(str(exc)) from exc
    if engine.ray:  # its --model is a checkpoint file (engine.model)
        check_ray_selection(files, to_stdout=False)
        request = {**upload_args(subject, sequence), **({"units": units} if units else {})}
        if adapt is not None:
            request["adapt"] = adapt
        job = {"kind": "forecast", "plan": OutputPlan(stdout=True), "fmt": fmt, "output": output}
        code = run_on_ray(files, engine, wires, ahead, at, request=request, **job)
        click.get_current_context().exit(code)
    if len(files) > 1:
        raise click.UsageError(
            f"{len(files)} files need --engine ray (through the daemon, forecast reads "
            "one file: loop over them)"
        )
    file = files[0]
    data = read_input(file)
    shown = WarningsShown()
    # click writes -o FILE to a temporary file and renames it only on success.
    with (
        click.open_file(output or "-", "w", atomic=output not in (None, "-")) as stream,
        current_session().connect() as client,
        StageStatus(f"forecast {file}") as progress,
    ):
        writer = _ForecastWriter(file, fmt, stream)
        try:
            for one in subjects_to_run(client, data, subject, sequence):
                base = {"csv": data, **upload_args(one, sequence), **model_args(model)}
                if units is not None:
                    base["units"] = units
                if adapt is not None:
                    base["adapt"] = adapt
                chosen = (
                    all_windows(client, data, upload_args(one, sequence), ahead) if every else wires
                )
                for chunk in _chunks(chosen, at):
                    result = client.call("forecast", {**base, **chunk}, on_progress=progress)
                    warnings = result.get("warnings") or []
                    shown.show(file, one, warnings)
                    for window in result.get("forecasts", [result]):
                        writer.write(window, result.get("handle"), warnings)
        except RequestFailed as exc:
            raise translated(exc, _typed(index_spec)) from None


def _selection(
    index_spec: str | None, ahead: bool, every: bool, at: str | None
) -> list[int] | None:
    if sum([index_spec is not None or ahead, every, at is not None]) > 1:
        raise SpecError("choose one of --index/--ahead, --all or --at")
    if every or at is not None:
        return None
    cli_indices = parse_index_spec(index_spec) if index_spec is not None else []
    return wire_indices(cli_indices or ([] if ahead else [0]), ahead)


def _typed(index_spec: str | None) -> str | None:
    return f"--index {index_spec}" if index_spec is not None else None


def _chunks(wires: list[int] | None, at: str | None) -> list[dict[str, Any]]:
    if wires is None:
        return [selection_args(None, at)]
    return [
        selection_args(wires[start : start + FORECAST_CHUNK], None)
        for start in range(0, len(wires), FORECAST_CHUNK)
    ]


class _ForecastWriter:
    """JSON lines or CSV rows, flushed per window (a pipe sees them at once), each
    in the one record shape (records.py) whatever the number of windows or subjects."""

    def __init__(self, file: str, fmt: str, stream: IO[str]) -> None:
        self.file = file
        self.fmt = fmt
        self.stream = stream
        self._header = False

    def write(
        self, window: dict[str, Any], handle: str | None, warnings: list[dict[str, Any]]
    ) -> None:
        record = window_record(self.file, window, handle=handle, warnings=warnings)
        text = window_text(record, self.fmt)
        if self.fmt == "csv" and not self._header:
            text = csv_header() + text
            self._header = True
        write_text(text, self.stream)
