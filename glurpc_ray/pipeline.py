"""Run a cohort on Ray: build the Ray Data pipeline, follow it, report.

Layer: cohort engine, driver side (the `glurpc` process). It joins or starts
the cluster, puts the model's weights in the object store once, chains the
stages (read+prepare tasks -> model actors -> render or format tasks) and
reads the records coming out: the progress bar over windows, report lines,
forecast text. Ctrl-C stops the writers first (guard.py), then leaves the
cluster, which cancels the job's tasks and actors.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import Any

from glurpc_cli.output import is_quiet, json_text, prepare_directory
from glurpc_cli.report import BatchReporter
from glurpc_wire.codes import ErrorCode, ExitCode

from .cluster import TASK_CPUS, ActorPlan, connect, plan_actors
from .guard import OutputGuard
from .options import CohortOptions, ModelSettings
from .rows import items, meta
from .sink import TextSink
from .stages import ModelStage, format_windows, prepare_file, render_windows

RENDER_BATCH = 16  # windows per render task: one prepared figure serves them all


class CohortReporter(BatchReporter):
    """The local batch's report, with the run's throughput in its summary."""

    def __init__(self, actors: ActorPlan, label: str) -> None:
        super().__init__(False, label=label)  # JSON records go to the run's sink
        self.actors = actors
        self.started = time.monotonic()

    def __enter__(self) -> CohortReporter:
        super().__enter__()
        return self

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        done = self.counts["written"]
        rate = done / elapsed if elapsed > 0 else 0.0
        return (
            f"{super().summary()}; {done} windows in {elapsed:.1f} s "
            f"({rate:.2f} windows/s, {self.actors.describe()})"
        )


def output_directory(options: CohortOptions) -> Path:
    plan = options.plan
    folder = plan.file.parent if plan.file is not None else plan.directory
    return options.local(folder)


def checked_model(settings: ModelSettings) -> tuple[Path, str]:
    """The weights file the daemon would load, loaded once here on the CPU: a
    missing or broken model is one clear error before any cluster starts."""
    from glurpc_core.model import Forecaster, resolve_model_path

    path, source = resolve_model_path(settings.model)
    Forecaster(path, source=source, samples=settings.samples, seed=settings.seed)
    return path, source


def build_dataset(
    ray: Any,
    files: list[str],
    options: CohortOptions,
    actors: ActorPlan,
    guard: OutputGuard | None,
    model: tuple[Path, str],
) -> Any:
    path, source = model
    weights = ray.put(path.read_bytes())  # once; every actor reads it from the object store
    data = ray.data.from_items([{"file": name} for name in files], override_num_blocks=len(files))
    data = data.flat_map(
        prepare_file, fn_kwargs={"options": options, "chunk": actors.chunk}, num_cpus=TASK_CPUS
    )
    data = data.map_batches(
        ModelStage,
        fn_constructor_kwargs={
            "weights": [weights],
            "name": path.name,
            "source": source,
            "options": options,
        },
        batch_format="pyarrow",
        batch_size=1,  # one chunk of one file per call
        compute=ray.data.ActorPoolStrategy(size=actors.count),
        num_cpus=1.0,
        num_gpus=actors.gpus_each,
    )
    if options.kind == "plot":
        assert guard is not None
        return data.map_batches(
            render_windows,
            fn_kwargs={"guard": guard, "fmt": options.fmt},
            batch_format="pyarrow",
            batch_size=RENDER_BATCH,
            num_cpus=TASK_CPUS,
        )
    return data.map_batches(
        format_windows,
        fn_kwargs={"fmt": options.fmt},
        batch_format="pyarrow",
        batch_size=RENDER_BATCH,
        num_cpus=TASK_CPUS,
    )


def follow(data: Any, reporter: CohortReporter, sink: TextSink) -> None:
    # Block by block as each lands, without read-ahead: a prefetching iterator
    # hands over a block only once the next one has arrived, which would hold
    # back the progress bar (and the records) for as long as the job's slowest
    # remaining file.
    for batch in data.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
        for item in items(batch):
            _report(item, reporter, sink)


def _report(item: dict[str, Any], reporter: CohortReporter, sink: TextSink) -> None:
    info = meta(item)
    if item["kind"] == "plan":
        reporter.grow(int(info["planned"]))
        return
    text = info.pop("text", None)  # a forecast's JSON or CSV text
    if text is None and sink.records:  # plot --json: the record itself
        text = json_text(info)
    sink.write(text or "")
    exit_code = ErrorCode(info["code"]).exit_code if info["status"] == "failed" else None
    reporter.record(info, exit_code)


def run_cohort(files: list[str], options: CohortOptions) -> int:
    """The exit code: 0, or the first failure's; KeyboardInterrupt after cleaning up.

    Ray's driver prints cluster messages (a killed actor, a retried task) to
    stdout; while it runs, stdout is stderr, and results go to the stream the
    command was given."""
    sink = TextSink(options.output, options.fmt, records=options.as_json)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            code = _run_on_cluster(files, options, sink)
    except BaseException:
        sink.discard()
        raise
    sink.finish()
    return code


def _run_on_cluster(files: list[str], options: CohortOptions, sink: TextSink) -> int:
    model = checked_model(options.model)
    ray = connect(options.address, quiet=is_quiet())
    guard: OutputGuard | None = None
    try:
        actors = plan_actors(ray.cluster_resources(), options.model, options.actors)
        if options.kind == "plot":
            guard = _guard(options)
        data = build_dataset(ray, files, options, actors, guard, model)
        label = "plotting" if options.kind == "plot" else "forecasting"
        with CohortReporter(actors, label) as reporter:
            follow(data, reporter, sink)
    except BaseException:
        if guard is not None:
            guard.cancel()  # first: no task writes after this, whatever the cluster does
        raise
    finally:
        ray.shutdown()  # cancels the job's tasks and actors (a local cluster stops)
    if guard is not None:
        guard.finish()
    return int(reporter.exit_code() or ExitCode.OK)


def _guard(options: CohortOptions) -> OutputGuard:
    """The output directory, made only when named with a trailing slash (as the
    local path does), holding this run's marker."""
    folder = output_directory(options)
    prepare_directory(folder, options.plan.file is None and options.plan.create)
    return OutputGuard.create(folder)
