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

import dataclasses
import functools
import pickle
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from glurpc_cli.records import outcome_record

from .guard import OutputGuard
from .options import CohortOptions
from .pause import pause
from .rows import items, meta, node_row, record_row, row, table
from .selection import failure, plan_file


def prepare_file(item: dict[str, Any], options: CohortOptions, chunk: int) -> list[dict[str, Any]]:
    """flat_map: one input path -> per subject asked, its plan, its settled
    records and its window chunks."""
    source = str(item["file"])
    out = [node_row("prepare")]
    for plan in plan_file(Path(source), options):
        out.append(row("plan", source, {"planned": plan.planned}))
        out += [record_row(settled) for settled in plan.records]
        if plan.prepared is None or not plan.pending:
            continue
        series = plan.prepared.to_bytes()
        if options.kind == "evaluate":  # the driver scores it: its series and window order
            wires = [wire for wire, _ in plan.pending]
            out.append(row("source", source, {"subject": plan.subject, "wires": wires}, series))
        for start in range(0, len(plan.pending), chunk):
            part = plan.pending[start : start + chunk]
            info = {
                "subject": plan.subject,
                "wires": [wire for wire, _ in part],
                "targets": [str(target) if target is not None else None for _, target in part],
            }
            out.append(row("chunk", source, info, series))
    return out


class ModelStage:
    """map_batches callable class: each actor loads the model once, from bytes the
    driver put in the object store (no shared file system needed). The reference
    comes wrapped in a one-item list so Ray hands it over unresolved, and the
    actor fetches the weights itself, once."""

    def __init__(self, weights: list[Any], name: str, source: str, options: CohortOptions) -> None:
        import ray

        from glurpc_core.model import Forecaster, resolve_device
        from glurpc_core.model.adaptation import NONE, Adapter

        folder = Path(tempfile.mkdtemp(prefix="glurpc-model-"))
        try:
            path = folder / name  # the same name: the model id (shown on plots) keeps its stem
            path.write_bytes(ray.get(weights[0]))
            self.forecaster = Forecaster(
                path,
                source=source,
                device=resolve_device(options.model.device),
                samples=options.model.samples,
                seed=options.model.seed,
            )
            self.options = options
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        # Served as the daemon serves it: the personal adaptation by default.
        self.method = options.adapt
        self.adapter = Adapter.load() if self.method != NONE else None
        self._state: tuple[str, Any] | None = None  # the last file's adaptation state

    def __call__(self, batch: pa.Table) -> pa.Table:
        out = [node_row("model")]
        for item in items(batch):
            out += self._forecast(item) if item["kind"] == "chunk" else [item]
        return table(out)

    def _forecast(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        from glurpc_core import ingest

        source, info = Path(item["file"]), meta(item)
        subject = info["subject"]
        pairs = list(zip(info["wires"], info["targets"], strict=True))
        pause("chunk")
        try:
            prepared = ingest.PreparedData.from_bytes(item["data"])
            forecasts = self._served(
                prepared, self.forecaster.forecast(prepared.series, info["wires"])
            )
            return [
                self._window(item["file"], subject, prepared, forecasts[w], *rest)
                for w, *rest in pairs
            ]
        except Exception as exc:  # noqa: BLE001 - reported per window; the cohort goes on
            return [
                record_row(failure(source, w, _path(target), exc, subject)) for w, target in pairs
            ]

    def _served(self, prepared: Any, forecasts: dict[int, Any]) -> dict[int, Any]:
        """The daemon's rule (adaptation.served), with the file's adaptation state
        kept for its next chunk, which often comes to the same actor."""
        from glurpc_core.model.adaptation import served

        state = None
        if self.adapter is not None:
            if self._state is None or self._state[0] != prepared.digest:
                self._state = (prepared.digest, self.adapter.state(prepared.series))
            state = self._state[1]
        return served(forecasts, prepared.series, self.adapter, state)

    def _window(
        self,
        file: str,
        subject: str | None,
        prepared: Any,
        forecast: Any,
        target: str | None,
    ) -> dict[str, Any]:
        """What the daemon adds to a window: its plot style (from the upload's
        unit, subject and marks), or its numbers in wire form with the model facts."""
        from glurpc_core.identity import upload_handle
        from glurpc_core.requests.styles import plot_style
        from glurpc_core.requests.uploads import recorded_unit, upload_facts
        from glurpc_core.requests.wire import forecast_to_wire

        forecaster, args = self.forecaster, self.options.args
        upload = upload_facts(prepared)
        info: dict[str, Any] = {"wire": forecast.index, "target": target, "subject": subject}
        info["model_id"] = forecaster.model_id
        if self.options.kind == "evaluate":
            from glurpc_core.evaluation.assess import WindowPoints

            return row("window", file, info, pickle.dumps(WindowPoints.of(forecast)))
        if self.options.kind == "plot":
            style = plot_style(args, prepared.series, upload, forecast.index, forecaster.model_id)
            style = dataclasses.replace(style, adapt=self.method)
            return row("window", file, info, pickle.dumps((forecast, style)))
        unit = str(args.get("units") or recorded_unit(upload))
        facts = forecaster.facts() | {"adapt": self.method, "subject": upload.get("subject")}
        window = forecast_to_wire(forecast, prepared.series, unit, facts)
        # As the daemon's forecast replies: every window names its upload and carries
        # the upload's warnings (records.py gives both lines one shape).
        window["handle"] = upload_handle(prepared.digest, forecaster.tag)
        window["warnings"] = upload.get("warnings", [])
        return row("window", file, {**info, "window": window})


def _windows(
    batch: pa.Table, passed_on: list[dict[str, Any]]
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The batch's window items with their metadata; failure records and
    anything else that is not a window go straight to `passed_on`."""
    for item in items(batch):
        if item["kind"] != "window":
            passed_on.append(item)
            continue
        yield item, meta(item)


@functools.cache
def _figure() -> Any:
    """The worker process's prepared figure: Ray reuses a worker for task after
    task, and building a figure costs more than drawing one (render/figure.py)."""
    from glurpc_core.render.figure import ForecastFigure

    return ForecastFigure()


def render_windows(batch: pa.Table, guard: OutputGuard, fmt: str) -> pa.Table:
    """map_batches task: render each window with the daemon's render code and
    write it, on the worker's one prepared figure."""
    from glurpc_core.render.plot import render_forecast

    out = [node_row("render")]
    for item, info in _windows(batch, out):
        source, wire, target = Path(item["file"]), info["wire"], Path(info["target"])
        subject = info["subject"]
        try:
            forecast, style = pickle.loads(item["data"])  # written by ModelStage above
            image = render_forecast(
                forecast, fmt=fmt, model_id=info["model_id"], figure=_figure(), style=style
            )
            if not guard.write(guard.directory / target.name, image):
                continue  # the run was cancelled: nobody reads this record
        except Exception as exc:  # noqa: BLE001 - one window fails, the cohort goes on
            out.append(record_row(failure(source, wire, target, exc, subject)))
            continue
        done = outcome_record(source, wire, target, "written", subject, bytes=len(image))
        out.append(record_row(done))
    return table(out)


def format_windows(batch: pa.Table, fmt: str) -> pa.Table:
    """map_batches task: each window as `glurpc forecast` prints it (JSON or CSV)."""
    from glurpc_cli.records import window_record, window_text

    out = [node_row("format")]
    for item, info in _windows(batch, out):
        done = outcome_record(item["file"], info["wire"], None, "written", info["subject"])
        done["text"] = window_text(window_record(item["file"], info["window"]), fmt)
        out.append(record_row(done))
    return table(out)


def _path(target: str | None) -> Path | None:
    return Path(target) if target is not None else None
