"""How `glurpc status` looks: rich tables on a terminal, plain `key: value` lines otherwise.

Layer: CLI presentation of the daemon's `status` data (docs/PROTOCOL.md
"Status"). Tolerant of keys that are missing or new (the daemon may add
keys); it never talks to the daemon and imports rich only inside
`render_rich`. Both forms fit 80 columns and label every value; durations
read as people say them.
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


def duration(seconds: Any) -> str:
    """`850 ms`, `42 s`, `26 min 50 s`, `3 h 05 min`, `2 d 4 h`."""
    if not isinstance(seconds, int | float):
        return _fmt(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{seconds:.1f} s" if seconds < 10 else f"{whole} s"


def _millis(value: Any) -> str:
    if not isinstance(value, int | float):
        return _fmt(value)
    return f"{value:.3g} ms" if value < 1000 else duration(value / 1000)


def summary_rows(data: dict[str, Any]) -> list[tuple[str, str]]:
    """The daemon in a few lines: identity, model, device, load."""
    model = data.get("model") or {}
    cache = data.get("cache") or {}
    latency = data.get("latency_ms") or {}
    torch = data.get("torch") or {}
    return [
        ("daemon", f"{_fmt(data.get('version'))} pid {_fmt(data.get('pid'))}"),
        ("uptime", duration(data.get("uptime_s"))),
        ("device", _fmt(data.get("device"))),
        ("torch", f"{_fmt(torch.get('version'))} ({_fmt(torch.get('build'))} build)"),
        ("model", f"{_fmt(model.get('id'))} ({_fmt(model.get('source'))})"),
        ("parameters", _fmt(model.get("parameters"))),
        ("resident models", resident_text(data.get("models"))),
        ("connections", _fmt(data.get("connections"))),
        (
            "cache",
            f"{_fmt(cache.get('entries'))} entries, {_size(cache.get('bytes'))}, "
            f"{_fmt(cache.get('hits'))} hits, {_fmt(cache.get('misses'))} misses",
        ),
        (
            "abandon latency",
            f"p50 {_millis(latency.get('disconnect_to_abandon_p50'))}, "
            f"p99 {_millis(latency.get('disconnect_to_abandon_p99'))}",
        ),
    ]


def resident_text(models: dict[str, Any] | None) -> str:
    """The models in memory, the one in use marked, and the budget they share."""
    if not models:
        return "-"
    names = [
        f"{entry.get('name')}{' (in use)' if entry.get('requests') else ''}"
        for entry in models.get("resident") or []
    ]
    loading = [f"{entry.get('name')} (loading)" for entry in models.get("loading") or []]
    return (
        f"{', '.join(names + loading)}: {_size(models.get('resident_bytes'))} of "
        f"{_size(models.get('budget_bytes'))}"
    )


def counter_line(counters: dict[str, Any] | None) -> str:
    return ", ".join(f"{key} {_fmt(value)}" for key, value in (counters or {}).items())


ATTACHED_COLUMNS = ("kind", "handle", "index", "requests", "priority", "state", "peers")
# Short enough that the table's header fits 80 columns with room for peers.
ATTACHED_HEADERS = ("kind", "handle", "index", "reqs", "prio", "state", "peers")


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
    lines.extend(
        "  " + " ".join(f"{key}={value}" for key, value in zip(ATTACHED_COLUMNS, row, strict=True))
        for row in attached
    )
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
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column(overflow="fold")
    for key, value in summary_rows(data):
        summary.add_row(key, value)
    # Counters as "name value" pairs that wrap, not one column each: the jobs
    # counters alone are wider than 80 columns as a table.
    for title in ("requests", "jobs"):
        summary.add_row(title, counter_line(data.get(title)))
    console.print(summary)
    attached = attached_rows(data)
    if attached:
        table = Table(title="attached jobs", title_justify="left", pad_edge=False)
        for header in ATTACHED_HEADERS:
            table.add_column(header, overflow="fold", no_wrap=header != "peers")
        for row in attached:
            table.add_row(*row[:-1], row[-1].replace(",", " "))  # wrap between peers
        console.print(table)
    else:
        console.print("attached jobs: none")
    if others_text(data):
        console.print(others_text(data).strip(" ()"))
