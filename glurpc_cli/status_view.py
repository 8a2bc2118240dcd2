"""How `glurpc status` looks: rich tables on a terminal, plain `key: value` lines otherwise.

Layer: CLI presentation of the daemon's `status` data (PROTOCOL.md "Status").
Tolerant of keys that are missing or new (the daemon may add keys); it never
talks to the daemon and imports rich only inside `render_rich`.
"""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):  # e.g. jobs.completed_by_kind
        return " ".join(f"{key}={_fmt(item)}" for key, item in value.items()) or "-"
    if isinstance(value, list):  # e.g. an attached job's peers
        return ",".join(_fmt(item) for item in value) or "-"
    return str(value)


def _size(num_bytes: Any) -> str:
    if not isinstance(num_bytes, int | float):
        return _fmt(num_bytes)
    size = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"  # unreachable; keeps type checkers content


def summary_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The daemon in a few lines: identity, model, device, load."""
    model = data.get("model") or {}
    cache = data.get("cache") or {}
    latency = data.get("latency_ms") or {}
    return [
        ("daemon", f"{_fmt(data.get('version'))} pid {_fmt(data.get('pid'))}"),
        ("uptime", f"{_fmt(data.get('uptime_s'))} s"),
        ("device", _fmt(data.get("device"))),
        ("model", f"{_fmt(model.get('id'))} ({_fmt(model.get('source'))})"),
        ("parameters", _fmt(model.get("parameters"))),
        ("connections", _fmt(data.get("connections"))),
        (
            "cache",
            f"{_fmt(cache.get('entries'))} entries, {_size(cache.get('bytes'))}, "
            f"{_fmt(cache.get('hits'))} hits, {_fmt(cache.get('misses'))} misses",
        ),
        (
            "abandon latency",
            f"p50 {_fmt(latency.get('disconnect_to_abandon_p50'))} ms, "
            f"p99 {_fmt(latency.get('disconnect_to_abandon_p99'))} ms",
        ),
    ]


def counter_line(counters: dict[str, Any] | None) -> str:
    return ", ".join(f"{key} {_fmt(value)}" for key, value in (counters or {}).items())


ATTACHED_COLUMNS = ("kind", "handle", "index", "requests", "priority", "state", "peers")


def attached_rows(data: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for job in data.get("attached") or []:
        row = {key: _fmt(job.get(key)) for key in ATTACHED_COLUMNS}
        row["handle"] = row["handle"][:12]  # a prefix identifies it; the rest is noise
        rows.append(tuple(row[key] for key in ATTACHED_COLUMNS))
    return rows


def render_text(data: dict[str, Any]) -> str:
    lines = [f"{key}: {value}" for key, value in summary_rows(data)]
    lines.append(f"requests: {counter_line(data.get('requests'))}")
    lines.append(f"jobs: {counter_line(data.get('jobs'))}")
    attached = attached_rows(data)
    lines.append(f"attached: {len(attached)}{others_text(data)}")
    lines.extend("  " + " ".join(row) for row in attached)
    return "\n".join(lines)


def others_text(data: dict[str, Any]) -> str:
    """Other users' attached work on a shared daemon: counts, never handles."""
    others = data.get("attached_others") or {}
    if not others.get("jobs"):
        return ""
    return f" (and {others['jobs']} jobs of other users, {others.get('requests', 0)} requests)"


def render_rich(data: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    summary = Table(show_header=False, box=None, pad_edge=False)
    summary.add_column(style="bold")
    summary.add_column()
    for key, value in summary_rows(data):
        summary.add_row(key, value)
    console.print(summary)
    for title in ("requests", "jobs"):
        counters = data.get(title) or {}
        table = Table(title=title, title_justify="left")
        for key in counters:
            table.add_column(key, justify="right")
        table.add_row(*(_fmt(value) for value in counters.values()))
        console.print(table)
    attached = attached_rows(data)
    if attached:
        table = Table(title="attached jobs", title_justify="left")
        for column in ATTACHED_COLUMNS:
            table.add_column(column)
        for row in attached:
            table.add_row(*row)
        console.print(table)
    else:
        console.print("attached jobs: none")
    if others_text(data):
        console.print(others_text(data).strip(" ()"))
