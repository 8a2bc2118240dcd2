"""The notebook API: `process`, `forecast`, `forecasts`, `plot` and `evaluate`.

Layer: public Python API over the client library (glurpc_cli.client). It speaks
the CLI's language, not the wire's: `index=3` is the window three before the
latest one whose next hour is known (the wire's -3), `ahead=True` the hour after
the last reading, `at=` the window whose forecast starts then (the file's own
clock, no UTC offset). Units, subject, sequence, the plot's history hours,
`model` (one of the daemon's models, `glurpc models`) and `adapt` are the
CLI's options. Each call opens a connection (starting the user's
daemon if none runs, as the CLI does) and closes it. Never imports torch,
numpy, polars, pandas or matplotlib.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from glurpc_cli.client import Client

from .evaluation import Evaluation
from .results import Forecast, Forecasts, Plot, Processed, warnings_of

AHEAD_WIRE_INDEX = 12  # the wire's "hour after the last reading" (docs/PROTOCOL.md)
MAX_INDICES = 1024  # windows per request (docs/PROTOCOL.md, `indices`)

Data = str | os.PathLike[str] | bytes


def _csv(data: Data) -> bytes:
    """A path's bytes, or the bytes themselves (a file already read, an upload)."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    return Path(data).read_bytes()


def _upload(subject: str | None, sequence: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if subject is not None:
        args["subject"] = str(subject)
    if sequence != "all":
        args["sequence"] = sequence
    return args


def _which(index: int, ahead: bool, at: str | None) -> dict[str, Any]:
    """One window in the CLI's numbering, as wire args."""
    if at is not None:
        if ahead or index != 0:
            raise ValueError("at= picks one window: leave index and ahead out")
        return {"at": at}
    if ahead:
        if index != 0:
            raise ValueError("ahead=True is the hour after the data: leave index out")
        return {"index": AHEAD_WIRE_INDEX}
    return {"index": -_count_back(index)}


def _serving(model: str | None, adapt: str | None) -> dict[str, Any]:
    """Which model serves, and with which adaptation (the daemon's defaults:
    its default model, personal-ar unless a model is named)."""
    chosen = {"model": model, "adapt": adapt}
    return {key: value for key, value in chosen.items() if value is not None}


def _count_back(index: int) -> int:
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise ValueError(
            f"index counts windows back from the latest (0, 1, 2, ...), not {index!r}; "
            "use ahead=True for the hour after the data"
        )
    return index


def _connect(socket: str | os.PathLike[str] | None, autostart: bool) -> Client:
    return Client(socket, autostart=autostart)


def process(
    data: Data,
    *,
    subject: str | None = None,
    sequence: str = "all",
    socket: str | os.PathLike[str] | None = None,
    autostart: bool = True,
) -> Processed:
    """Prepare a file: handle, windows (with their times), row accounting, warnings.
    A multi-subject table without `subject` lists its ids in `subjects`."""
    args = {"csv": _csv(data), "windows": True, **_upload(subject, sequence)}
    with _connect(socket, autostart) as client:
        return Processed.from_wire(client.call("process", args))


def forecast(
    data: Data,
    index: int = 0,
    *,
    ahead: bool = False,
    at: str | None = None,
    units: str | None = None,
    model: str | None = None,
    adapt: str | None = None,
    subject: str | None = None,
    sequence: str = "all",
    socket: str | os.PathLike[str] | None = None,
    autostart: bool = True,
) -> Forecast:
    """One window's forecast: `index` windows before the latest (0 = the latest),
    or the next hour (`ahead=True`), or the window starting at `at`."""
    args = {"csv": _csv(data), **_upload(subject, sequence), **_which(index, ahead, at)}
    args |= _serving(model, adapt)
    if units is not None:
        args["units"] = units
    with _connect(socket, autostart) as client:
        reply = client.call("forecast", args)
    return Forecast.from_wire(reply, reply)


def forecasts(
    data: Data,
    indices: Iterable[int] | None = None,
    *,
    units: str | None = None,
    model: str | None = None,
    adapt: str | None = None,
    subject: str | None = None,
    sequence: str = "all",
    socket: str | os.PathLike[str] | None = None,
    autostart: bool = True,
) -> Forecasts:
    """Several windows (CLI numbering, e.g. `range(24)`), or every window when
    `indices` is None; the daemon runs them in full model batches."""
    csv = _csv(data)
    base: dict[str, Any] = {"csv": csv, **_upload(subject, sequence), **_serving(model, adapt)}
    if units is not None:
        base["units"] = units
    windows: list[Forecast] = []
    with _connect(socket, autostart) as client:
        if indices is None:
            known = int(
                client.call("process", {"csv": csv, **_upload(subject, sequence)})["windows"]
            )
            wires = [-n for n in range(known)]
        else:
            wires = [-_count_back(n) for n in indices]
        reply: dict[str, Any] = {}
        for start in range(0, len(wires), MAX_INDICES):
            reply = client.call("forecast", {**base, "indices": wires[start : start + MAX_INDICES]})
            windows += [Forecast.from_wire(w, reply) for w in reply.get("forecasts", [reply])]
    return Forecasts(windows, warnings_of(reply))


def plot(
    data: Data,
    index: int = 0,
    *,
    ahead: bool = False,
    at: str | None = None,
    units: str | None = None,
    history_hours: float | None = None,
    dpi: int | None = None,
    title: str | None = None,
    format: str = "png",
    model: str | None = None,
    adapt: str | None = None,
    subject: str | None = None,
    sequence: str = "all",
    socket: str | os.PathLike[str] | None = None,
    autostart: bool = True,
) -> Plot:
    """One window's forecast image (shown inline in a notebook; `.save(path)`)."""
    args = {"csv": _csv(data), "format": format, **_upload(subject, sequence)}
    args |= _which(index, ahead, at) | _serving(model, adapt)
    style = {"units": units, "history_hours": history_hours, "dpi": dpi, "title": title}
    args |= {key: value for key, value in style.items() if value is not None}
    with _connect(socket, autostart) as client:
        reply = client.call("plot", args)
    return Plot.from_wire(reply, reply)


def evaluate(
    data: Data | list[Data],
    *,
    labels: list[str] | None = None,
    plot: str | None = None,
    model: str | None = None,
    adapt: str | None = None,
    subject: str | None = None,
    sequence: str = "all",
    socket: str | os.PathLike[str] | None = None,
    autostart: bool = True,
) -> Evaluation:
    """Score the served forecast on every window (with a known next hour) of each
    file, against persistence, linear extrapolation and a personal AR(6), per file
    and pooled (what `glurpc evaluate` reports). `plot` ("png", "svg" or "pdf")
    also draws the figure; a notebook shows a PNG inline. Labels default to the
    file names (or "source N" for bytes)."""
    items = data if isinstance(data, list) else [data]
    names = labels or [_label(item, n) for n, item in enumerate(items, start=1)]
    if len(names) != len(items):
        raise ValueError(f"{len(items)} sources but {len(names)} labels")
    sources = [
        {"csv": _csv(item), "label": name, **_upload(subject, sequence)}
        for item, name in zip(items, names, strict=True)
    ]
    args: dict[str, Any] = {"sources": sources, **_serving(model, adapt)}
    if plot is not None:
        args["plot"] = plot
    with _connect(socket, autostart) as client:
        return Evaluation.from_wire(client.call("evaluate", args))


def _label(item: Data, position: int) -> str:
    if isinstance(item, bytes | bytearray | memoryview):
        return f"source {position}"
    return Path(item).name
