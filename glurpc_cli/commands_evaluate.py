"""`glurpc evaluate`: how good the served forecast is on the user's own files.

Layer: CLI command. It prepares each file (or each subject of a table) with
`process`, then sends ONE `evaluate` request naming every source by handle, so
the daemon scores them together (pooled numbers and bootstrap intervals need
every source at once) and the request's frame stays small. It prints the
daemon's report as Markdown tables (default), JSON or CSV (evaluation_view.py)
and writes the figure with `--plot`; it never computes a number itself. With
`--engine ray` the cluster forecasts the windows and glurpc_ray scores them
with the daemon's own code; the report is printed the same way.
With several `--model`, the one `evaluate` names them all: the daemon scores
each on the same windows, with paired intervals on their differences, and
the CLI prints one table, JSON or CSV (evaluation_compare.py); `--plot`
writes the daemon's one figure of them all.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click

from glurpc_wire.codes import ErrorCode

from .client import Client
from .engine import EngineArgs, check_ray_selection, engine_options, evaluate_on_ray
from .errors import RequestFailed
from .evaluation_compare import comparison_csv_rows, comparison_markdown
from .evaluation_view import csv_rows, markdown
from .output import StageStatus, info, stderr_is_tty, write_output
from .selection import (
    adapt_option,
    model_args,
    models_option,
    subjects_to_run,
    translated,
    upload_args,
    upload_options,
)
from .session import current_session, read_input
from .targets import IMAGE_FORMATS

FILE = click.Path(dir_okay=False, allow_dash=True)


@click.command()
@click.argument("files", nargs=-1, required=True, type=FILE)
@click.option("--markdown", "fmt", flag_value="markdown", default=True, help="Tables (default).")
@click.option("--json", "fmt", flag_value="json", help="The whole report as one JSON document.")
@click.option("--csv", "fmt", flag_value="csv", help="One row per number (tidy CSV).")
@click.option(
    "--plot",
    "plot_path",
    metavar="FILE",
    help="Also write the figure (error grids, error and coverage by horizon; with several "
    "--model, each model's and their differences); png, svg or pdf by the file's extension.",
)
@models_option
@adapt_option
@upload_options
@engine_options
def evaluate(
    files: tuple[str, ...],
    fmt: str,
    plot_path: str | None,
    models: tuple[str, ...],
    adapt: str | None,
    subject: str | None,
    sequence: str,
    engine: EngineArgs,
) -> None:
    """Score the served forecast on every window of each file, against baselines.

    For each file (or subject) and pooled: RMSE, MAE and MARD at 5..60 minutes
    for the served model, persistence, linear extrapolation and a personal
    AR(6) fitted only on that person's earlier readings; band coverage; bias,
    RMSE and coverage by range of the truth; Clarke and Parkes error-grid
    zones; bootstrap intervals over files or subjects.

    \b
    glurpc evaluate cgm.csv
    glurpc evaluate cohort/*.csv --plot evaluation.png
    glurpc evaluate cohort.csv --subject all --csv > evaluation.csv
    glurpc evaluate cohort/*.csv --model default --model cohort --plot models.png
    glurpc evaluate cohort/*.csv --engine ray --json > evaluation.json
    """
    image = _plot_format(plot_path)
    if files.count("-") > 1:
        raise click.UsageError("stdin (-) can be read once; name it once")
    if engine.ray:  # its --model is a checkpoint file (engine.model)
        check_ray_selection(files, to_stdout=False)
        request = {**upload_args(subject, sequence), **({"adapt": adapt} if adapt else {})}
        report = evaluate_on_ray(files, engine, image, request)
    else:
        report = _on_daemon(files, image, adapt, models, subject, sequence)
    _write_figure(report, plot_path)
    if len(models) > 1:  # never under --engine ray: it takes one checkpoint
        _print_comparison(report, files, fmt)
        return
    report["files"] = list(files)
    if fmt == "json":
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    elif fmt == "csv":
        _write_csv(csv_rows(report))
    else:
        sys.stdout.write(markdown(report) + "\n")
    sys.stdout.flush()


def _write_figure(report: dict[str, Any], plot_path: str | None) -> None:
    """Take the figure out of the report (it is never printed) and write it."""
    figure = report.pop("image", None)
    if plot_path is not None and figure is not None:
        write_output(Path(plot_path), figure)
        if stderr_is_tty():
            info(f"wrote {plot_path}")


def _print_comparison(report: dict[str, Any], files: tuple[str, ...], fmt: str) -> None:
    """Several models: their pooled numbers and differences; everything as JSON
    or CSV (a `model` column before the one-model CSV's)."""
    if fmt == "json":
        sys.stdout.write(json.dumps({"files": list(files), **report}, indent=1) + "\n")
    elif fmt == "csv":
        _write_csv(comparison_csv_rows(report))
    else:
        sys.stdout.write(comparison_markdown(report) + "\n")
    sys.stdout.flush()


def _write_csv(rows: Iterable[Sequence[Any]]) -> None:
    import csv  # only --csv pays for it

    csv.writer(sys.stdout, lineterminator="\n").writerows(rows)


def _on_daemon(
    files: tuple[str, ...],
    image: str | None,
    adapt: str | None,
    models: tuple[str, ...],
    subject: str | None,
    sequence: str,
) -> dict[str, Any]:
    """The daemon's report: each source prepared (`process`), then ONE `evaluate`."""
    with current_session().connect() as client, StageStatus("evaluate") as progress:
        try:
            sources = _sources(client, files, subject, sequence, progress)
            args: dict[str, Any] = {"sources": sources}
            if adapt is not None:
                args["adapt"] = adapt
            args.update(model_args(models))
            if image is not None:
                args["plot"] = image
            report: dict[str, Any] = client.call("evaluate", args, on_progress=progress)
        except RequestFailed as exc:
            raise translated(exc) from None
    return report


def _plot_format(path: str | None) -> str | None:
    if path is None:
        return None
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        raise click.UsageError(f"--plot {path}: name a .png, .svg or .pdf file")
    return suffix


def _sources(
    client: Client,
    files: tuple[str, ...],
    subject: str | None,
    sequence: str,
    progress: StageStatus,
) -> list[dict[str, Any]]:
    """Each file's (or subject's) handle and label; sources too short for one
    window are skipped with a note, as long as one remains."""
    sources = []
    for file in files:
        data = read_input(file)
        for one in subjects_to_run(client, data, subject, sequence):
            label = file if one is None else f"{file}#{one}"
            try:
                args = {"csv": data, "precompute": False, **upload_args(one, sequence)}
                result = client.call("process", args, on_progress=progress)
            except RequestFailed as exc:
                if exc.code != ErrorCode.TOO_SHORT:
                    raise
                info(f"skipping {label}: {exc}")
                continue
            if not result.get("windows"):
                # 8 to 9 hours serve the hour after the data, but no window has a
                # known next hour to score.
                info(f"skipping {label}: no window with a known next hour")
                continue
            sources.append({"handle": result["handle"], "label": label})
    if not sources:
        raise click.UsageError("no file or subject has enough data for one window")
    return sources
