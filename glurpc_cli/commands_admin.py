"""`glurpc ping`, `glurpc status` and `glurpc cache`: asking the daemon about itself.

Layer: CLI commands. Each opens one client through the session, makes one
call and prints the answer (JSON for scripts, tables or lines for people).
None of them starts a daemon: asking about a daemon that is not running must
say so (exit 3), not start one.
They never import rich unless stdout is a terminal.
"""

from __future__ import annotations

import sys
import time

import click

from .output import json_line
from .session import current_session

CACHE_ACTIONS = ("info", "flush", "save", "load")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def ping(as_json: bool) -> None:
    """Check that the daemon answers; print the round trip time."""
    with current_session().connect(autostart=False) as client:
        started = time.perf_counter()
        client.ping()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if as_json:
            json_line(
                {"pong": True, "ms": round(elapsed_ms, 3), "server": client.hello.get("server")}
            )
        else:
            click.echo(f"pong from {client.hello.get('server', 'glurpcd')} in {elapsed_ms:.2f} ms")


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the raw status as JSON.")
def status(as_json: bool) -> None:
    """What the daemon is doing: requests, jobs, attached jobs, latency, cache, model."""
    with current_session().connect(autostart=False) as client:
        data = client.status()
    from .status_view import render_rich, render_text

    if as_json:
        json_line(data)
    elif sys.stdout.isatty():
        from rich.console import Console

        render_rich(data, Console())
    else:
        click.echo(render_text(data))


@click.command()
@click.argument("action", type=click.Choice([*CACHE_ACTIONS, "delete"]))
@click.argument("handle", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the daemon's answer as JSON.")
def cache(action: str, handle: str | None, as_json: bool) -> None:
    """Inspect or manage the daemon's caches.

    \b
    glurpc cache info            entries and bytes in memory and on disk
    glurpc cache flush           drop every cached series, forecast and image
    glurpc cache save | load     write the memory cache to the state dir / read it back
    glurpc cache delete HANDLE   forget one handle
    """
    if action == "delete" and not handle:
        raise click.UsageError("cache delete needs a HANDLE (see `glurpc process FILE`)")
    if action != "delete" and handle:
        raise click.UsageError(f"cache {action} takes no HANDLE")
    with current_session().connect(autostart=False) as client:
        data = client.cache(action, handle)
    if as_json:
        json_line(data)
        return
    for key in ("entries", "persisted", "affected", "bytes"):
        if key in data:
            click.echo(f"{key}: {data[key]}")
