"""The pipeline's stages, as Ray Data calls them (pure compute and file writes).

Layer: cohort engine, inside Ray workers. `prepare_file` (a CPU task per file)
reads and prepares one export and cuts its pending windows into chunks;
`ModelStage` (an actor: one Gluformer, loaded once) forecasts chunks with the
daemon's `Forecaster`; `render_windows` / `format_windows` (CPU tasks) turn
forecasts into images written to the output directory, or into the same JSON
and CSV text `glurpc forecast` prints. Every per-file or per-window failure
becomes a record row; the cohort goes on.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa

from glurpcd.ops.results import decode_forecast, encode_forecast

from .guard import OutputGuard
from .options import CohortOptions, ModelSettings
from .rows import items, meta, record_row, row, table
from .selection import failure, plan_file, record
from .sink import json_text


def prepare_file(item: dict[str, Any], options: CohortOptions, chunk: int) -> list[dict[str, Any]]:
    """flat_map: one input path -> its plan, its settled records and its window chunks."""
    source = Path(item["file"])
    plan = plan_file(source, options)
    out = [row("plan", str(source), {"planned": plan.planned})]
    out += [record_row(settled) for settled in plan.records]
    if plan.prepared is None or not plan.pending:
        return out
    series = plan.prepared.to_bytes()
    for start in range(0, len(plan.pending), chunk):
        part = plan.pending[start : start + chunk]
        wires = [wire for wire, _ in part]
        targets = [str(target) if target is not None else None for _, target in part]
        out.append(row("chunk", str(source), {"wires": wires, "targets": targets}, series))
    return out


class ModelStage:
    """map_batches callable class: each actor loads the model once, from bytes the
    driver put in the object store (no shared file system needed). The reference
    comes wrapped in a one-item list so Ray hands it over unresolved, and the
    actor fetches the weights itself, once."""

    def __init__(self, weights: list[Any], name: str, source: str, settings: ModelSettings) -> None:
        import ray

        from glurpcd.model import Forecaster, resolve_device

        folder = Path(tempfile.mkdtemp(prefix="glurpc-model-"))
        try:
            path = folder / name  # the same name: the model id (shown on plots) keeps its stem
            path.write_bytes(ray.get(weights[0]))
            self.forecaster = Forecaster(
                path,
                source=source,
                device=resolve_device(settings.device),
                samples=settings.samples,
                seed=settings.seed,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def __call__(self, batch: pa.Table) -> pa.Table:
        out: list[dict[str, Any]] = []
        for item in items(batch):
            out += self._forecast(item) if item["kind"] == "chunk" else [item]
        return table(out)

    def _forecast(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        from glurpcd import ingest

        source, info = Path(item["file"]), meta(item)
        pairs = list(zip(info["wires"], info["targets"], strict=True))
        try:
            series = ingest.PreparedData.from_bytes(item["data"]).series
            forecasts = self.forecaster.forecast(series, info["wires"])
        except Exception as exc:  # noqa: BLE001 - reported per window; the cohort goes on
            return [record_row(failure(source, wire, _path(target), exc)) for wire, target in pairs]
        model_id = self.forecaster.model_id
        return [
            row(
                "window",
                item["file"],
                {"wire": wire, "target": target, "model_id": model_id},
                encode_forecast(forecasts[wire]),
            )
            for wire, target in pairs
        ]


def render_windows(batch: pa.Table, guard: OutputGuard, fmt: str) -> pa.Table:
    """map_batches task: render each window with the daemon's render code and
    write it; one prepared figure serves the whole batch."""
    from glurpcd.render.figure import ForecastFigure
    from glurpcd.render.plot import render_forecast

    figure: ForecastFigure | None = None
    out: list[dict[str, Any]] = []
    for item in items(batch):
        if item["kind"] != "window":
            out.append(item)
            continue
        info = meta(item)
        source, wire, target = Path(item["file"]), info["wire"], Path(info["target"])
        try:
            figure = figure or ForecastFigure()
            forecast = decode_forecast(item["data"])
            image = render_forecast(forecast, fmt=fmt, model_id=info["model_id"], figure=figure)
            if not guard.write(guard.directory / target.name, image):
                continue  # the run was cancelled: nobody reads this record
        except Exception as exc:  # noqa: BLE001 - one window fails, the cohort goes on
            out.append(record_row(failure(source, wire, target, exc)))
            continue
        out.append(record_row(record(source, wire, target, "written", bytes=len(image))))
    return table(out)


def format_windows(batch: pa.Table, fmt: str) -> pa.Table:
    """map_batches task: each window as `glurpc forecast` prints it (JSON or CSV)."""
    from glurpcd.ops.forecasts import forecast_to_wire

    out: list[dict[str, Any]] = []
    for item in items(batch):
        if item["kind"] != "window":
            out.append(item)
            continue
        source, wire = Path(item["file"]), meta(item)["wire"]
        result = forecast_to_wire(decode_forecast(item["data"]))
        done = record(source, wire, None, "written")
        done["text"] = _csv_text(result, done) if fmt == "csv" else _json_text(result, done)
        out.append(record_row(done))
    return table(out)


def _json_text(result: dict[str, Any], done: dict[str, Any]) -> str:
    """The exact line `glurpc forecast FILE --index N --json` prints."""
    where = {key: done[key] for key in ("file", "index", "wire_index")}
    return json_text({**result, **where})


def _csv_text(result: dict[str, Any], done: dict[str, Any]) -> str:
    """`glurpc forecast --csv` rows, each led by the file and the window's index."""
    import csv

    from glurpc_cli.commands_data import forecast_rows

    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    index = "ahead" if done["index"] is None else done["index"]
    for values in forecast_rows(result):
        cells = ["" if value is None else value for value in values]
        writer.writerow([done["file"], index, *cells])
    return stream.getvalue()


def _path(target: str | None) -> Path | None:
    return Path(target) if target is not None else None
