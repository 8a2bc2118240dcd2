"""How `glurpc process` shows an upload: summary, stretches, rows, warnings, windows.

Layer: CLI presentation (stdout), stdlib only. Window indices are shown the way
`--index` takes them (0 = latest), and `ahead` for `--ahead`.
"""

from __future__ import annotations

import csv
import sys
from typing import Any

import click

from .targets import AHEAD_WIRE_INDEX

ROW_CATEGORIES = (
    "used", "too_short", "not_selected", "duplicate", "out_of_range", "unparseable",
    "calibration", "other",
)  # fmt: skip
WINDOW_HEADER = ("index", "stretch", "subject", "history_start", "forecast_start", "future_known")


def print_summary(result: dict[str, Any]) -> None:
    if result.get("subjects") is not None:
        _print_subjects(result["subjects"])
        return
    windows = int(result.get("windows", result.get("samples", 0)))
    if result.get("subject") is not None:
        click.echo(f"subject: {printable(result['subject'])}")
    click.echo(f"handle: {result.get('handle')}")
    span = f"--index 0..{windows - 1}" if windows > 0 else "none"
    click.echo(f"windows: {windows} ({span}; --ahead for the next hour)")
    click.echo(f"span: {result.get('start')} .. {result.get('end')}")
    if result.get("unit"):
        click.echo(f"unit: {result['unit']} ({result.get('format', '?')})")
    _print_stretches(result.get("stretches") or [])
    _print_rows(result.get("accounting") or {})
    warnings = result.get("warnings") or []
    click.echo(f"warnings: {len(warnings) or 'none'}")
    width = max((len(str(w.get("flag", ""))) for w in warnings), default=0)
    for warning in warnings:
        lines = warning.get("lines") or []
        shown = ", ".join(str(n) for n in lines[:10]) + (", ..." if len(lines) > 10 else "")
        where = f" ({'line' if len(lines) == 1 else 'lines'} {shown})" if lines else ""
        click.echo(
            f"  {str(warning.get('flag', '')):<{width}}  {warning.get('message', '')}{where}"
        )


def _print_stretches(stretches: list[dict[str, Any]]) -> None:
    if not stretches:
        return
    click.echo(f"stretches: {len(stretches)}")
    for number, stretch in enumerate(stretches):
        note = "" if stretch.get("used") else "  (not used)"
        click.echo(
            f"  {number:>3}  {stretch.get('start')} .. {stretch.get('end')}  "
            f"{stretch.get('readings'):>6} readings  {stretch.get('windows'):>6} windows{note}"
        )


def _print_rows(accounting: dict[str, Any]) -> None:
    if not accounting:
        return
    parts = [f"{accounting.get(k, 0)} {k}" for k in ROW_CATEGORIES if accounting.get(k)]
    click.echo(f"rows: {accounting.get('rows', 0)} = {' + '.join(parts) or '0'}")


def _print_subjects(subjects: list[dict[str, Any]]) -> None:
    click.echo(f"subjects: {len(subjects)} (choose with --subject ID, or --subject all)")
    for entry in subjects:
        if "code" in entry:
            message = printable(entry.get("message"))
            click.echo(f"  {printable(entry['subject']):<12} {entry['code']}: {message}")
            continue
        click.echo(
            f"  {printable(entry.get('subject')):<12} {entry.get('start')} .. {entry.get('end')}  "
            f"{entry.get('windows'):>6} windows  {len(entry.get('stretches') or [])} stretches"
        )


def printable(value: Any) -> str:
    """The file's text for a terminal: a subject id is data, so an escape
    sequence or a newline in it is printed escaped, never acted on."""
    text = str(value)
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def cli_window_index(wire: int) -> str:
    return "ahead" if wire == AHEAD_WIRE_INDEX else str(-wire)


def write_windows(results: list[dict[str, Any]], *, as_csv: bool) -> None:
    rows = [
        (
            cli_window_index(int(w["index"])),
            w.get("stretch"),
            w.get("subject") if w.get("subject") is not None else "",
            w.get("history_start"),
            w.get("forecast_start"),
            "yes" if w.get("future_known") else "no",
        )
        for result in results
        for w in result.get("window_list") or []
    ]
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(WINDOW_HEADER)
        writer.writerows(rows)
        return
    click.echo("  ".join(f"{h:<19}" if "start" in h else f"{h:<7}" for h in WINDOW_HEADER).rstrip())
    for row in rows:
        cells = [f"{printable(c):<{19 if i in (3, 4) else 7}}" for i, c in enumerate(row)]
        click.echo("  ".join(cells).rstrip())
