"""`glurpc models`: the daemon's model store.

Layer: CLI commands. `glurpc models` lists the models the daemon knows (name,
id, size, parameters, calibration, resident or not), `models show NAME`
prints one model's card, `models add FILE [--name NAME]` asks the daemon to
check FILE with the loader it serves with and copy it into its store. The
daemon reads FILE itself, so the path is sent absolute; the CLI never opens
weights (it imports no torch).
"""

from __future__ import annotations

import json
import os
from typing import Any

import click

from .output import json_line
from .session import current_session


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print the daemon's answer as JSON.")
@click.pass_context
def models(ctx: click.Context, as_json: bool) -> None:
    """List the daemon's models; `show NAME` prints a card, `add FILE` adds one.

    \b
    glurpc models
    glurpc models show default
    glurpc models add ~/weights/cohort.pt --name cohort
    glurpc plot cgm.csv --model default --model cohort -o both.png
    """
    ctx.obj = as_json
    if ctx.invoked_subcommand is not None:
        return
    with current_session().connect(autostart=False) as client:
        data = client.call("models", {"action": "list"})
    if as_json:
        json_line(data)
        return
    click.echo(models_table(data.get("models") or []))
    budget, resident = data.get("budget_bytes"), data.get("resident_bytes")
    if isinstance(budget, int) and isinstance(resident, int):
        click.echo(f"\nresident {_mib(resident)} of a {_mib(budget)} budget (--models-mb)")


JSON_HELP = "Print the daemon's answer as JSON."


@models.command()
@click.argument("name")
@click.option("--json", "json_here", is_flag=True, help=JSON_HELP)
@click.pass_obj
def show(as_json: bool, name: str, json_here: bool) -> None:
    """Print one model's facts and its card.

    The card is what training wrote into the bundle: training data, recipe,
    metrics, intended use.
    """
    as_json = as_json or json_here
    with current_session().connect(autostart=False) as client:
        data = client.call("models", {"action": "show", "name": name})
    if as_json:
        json_line(data)
        return
    for key, value in (data.get("model") or {}).items():
        click.echo(f"{key}: {'-' if value is None else value}")
    card = data.get("card")
    if card is None:
        click.echo("card: none (a bare checkpoint, or a bundle saved without one)")
        return
    click.echo("card:")
    for key, value in card.items():
        shown = value if isinstance(value, str) else json.dumps(value)
        click.echo(f"  {key}: {shown}")


@models.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--name", metavar="NAME", help="Its name in the store (default: the file's stem).")
@click.option("--json", "json_here", is_flag=True, help=JSON_HELP)
@click.pass_obj
def add(as_json: bool, file: str, name: str | None, json_here: bool) -> None:
    """Add a weights file to the daemon's store.

    The daemon reads FILE, checks it with the loader it serves with and
    copies it atomically into its models directory; an invalid file is
    refused and nothing is left behind.
    """
    as_json = as_json or json_here
    args: dict[str, Any] = {"action": "add", "path": os.path.abspath(file)}
    if name is not None:
        args["name"] = name
    with current_session().connect() as client:
        data = client.call("models", args)
    if as_json:
        json_line(data)
        return
    added = data.get("model") or {}
    click.echo(f"added {added.get('name')} ({added.get('id')}): {added.get('path')}")


COLUMNS = ("name", "id", "size", "parameters", "calibration", "resident")


def models_table(rows: list[dict[str, Any]]) -> str:
    """Aligned columns, one model a line; the default marked with '*'."""
    table = [COLUMNS]
    for row in rows:
        name = f"{row.get('name')}{' *' if row.get('default') else ''}"
        parameters = row.get("parameters")
        table.append(
            (
                name,
                str(row.get("id")),
                _mib(int(row.get("bytes") or 0)),
                f"{parameters:,}" if isinstance(parameters, int) else "-",
                str(row.get("calibration") or row.get("problem") or "-"),
                "yes" if row.get("resident") else "no",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(COLUMNS))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"
