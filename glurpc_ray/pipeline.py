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
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

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


@dataclass
class Startup:
    """How long the run took to get going, from the driver's first step: the
    part of a short cohort's wall time that is not windows."""

    began: float = field(default_factory=time.monotonic)
    joined: float | None = None  # the cluster started or joined
    first: float | None = None  # the first window's record came back

    def describe(self) -> str:
        if self.first is None or self.joined is None:
            return ""
        return (
            f"; first window after {self.first - self.began:.1f} s "
            f"(cluster ready after {self.joined - self.began:.1f} s)"
        )


class CohortReporter(BatchReporter):
    """The local batch's report, with the run's throughput and start-up in its summary."""

    def __init__(self, actors: ActorPlan, label: str, startup: Startup) -> None:
        super().__init__(False, label=label)  # JSON records go to the run's sink
        self.actors = actors
        self.startup = startup
        self.started = time.monotonic()
        self.nodes: set[str] = set()  # every node that ran a stage's call for this job

    def __enter__(self) -> CohortReporter:
        super().__enter__()
        return self

    def summary(self) -> str:
        elapsed = time.monotonic() - self.started
        done = self.counts["written"]
        rate = done / elapsed if elapsed > 0 else 0.0
        return (
            f"{super().summary()}; {done} windows in {elapsed:.1f} s "
            f"({rate:.2f} windows/s, {self.actors.describe()}, "
            f"{len(self.nodes)} node{'s' if len(self.nodes) != 1 else ''})"
            f"{self.startup.describe()}"
        )


def output_directory(options: CohortOptions) -> Path:
    plan = options.plan
    folder = plan.file.parent if plan.file is not None else plan.directory
    return options.local(folder)


def resolved_model(settings: ModelSettings) -> tuple[Path, str]:
    """The weights file the daemon would load: a missing model is one clear
    error before any cluster starts."""
    from glurpc_core.model import resolve_model_path

    return resolve_model_path(settings.model)


@dataclass(frozen=True)
class LoadedModel:
    path: Path
    source: str
    facts: dict[str, Any]  # what every reply says of the model (Forecaster.facts)
    tag: str  # the forecasts' identity: upload handles are named with it


def checked_model(model: tuple[Path, str], settings: ModelSettings) -> LoadedModel:
    """`model`, loaded once here on the CPU: a broken one is one clear error
    from the driver, not a failure in every actor."""
    from glurpc_core.model import Forecaster

    path, source = model
    loaded = Forecaster(path, source=source, samples=settings.samples, seed=settings.seed)
    return LoadedModel(path, source, loaded.facts(), loaded.tag)


@contextlib.contextmanager
def joined_while_checking(
    options: CohortOptions, startup: Startup
) -> Iterator[tuple[Any, Future[LoadedModel]]]:
    """Join (or start) the cluster while another thread loads the model: the
    two waits, torch's import and Ray's start, overlap. Leaves the cluster at
    the end, whatever happens."""
    model = resolved_model(options.model)
    with ThreadPoolExecutor(1, thread_name_prefix="glurpc-model-check") as pool:
        checking = pool.submit(checked_model, model, options.model)
        ray = connect(options.address, ordered=options.kind != "plot", quiet=is_quiet())
        startup.joined = time.monotonic()
        try:
            yield ray, checking
        finally:
            ray.shutdown()  # cancels the job's tasks and actors (a local cluster stops)


def build_dataset(
    ray: Any,
    files: list[str],
    options: CohortOptions,
    actors: ActorPlan,
    guard: OutputGuard | None,
    model: LoadedModel,
) -> Any:
    path, source = model.path, model.source
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
    if options.kind == "evaluate":
        return data  # the driver scores the windows' points (evaluation.py)
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


class Results(Protocol):
    """What a run does with the items coming out of the pipeline, past the
    bookkeeping every run shares (nodes, plans, the first window's time)."""

    def take(self, item: dict[str, Any], info: dict[str, Any], reporter: CohortReporter) -> None:
        pass


class Printed:
    """plot and forecast: each record reported, and its text (a forecast's
    JSON line or CSV row, or with plot --json the record) to the run's sink."""

    def __init__(self, sink: TextSink) -> None:
        self.sink = sink

    def take(self, item: dict[str, Any], info: dict[str, Any], reporter: CohortReporter) -> None:
        text = info.pop("text", None)
        if text is None and self.sink.records:
            text = json_text(info)
        self.sink.write(text or "")
        exit_code = ErrorCode(info["code"]).exit_code if info["status"] == "failed" else None
        reporter.record(info, exit_code)


def follow(data: Any, reporter: CohortReporter, results: Results) -> None:
    # Block by block as each lands, without read-ahead: a prefetching iterator
    # hands over a block only once the next one has arrived, which would hold
    # back the progress bar (and the records) for as long as the job's slowest
    # remaining file.
    for batch in data.iter_batches(batch_size=None, batch_format="pyarrow", prefetch_batches=0):
        for item in items(batch):
            info = meta(item)
            if item["kind"] == "node":
                reporter.nodes.add(info["node"])
            elif item["kind"] == "plan":
                reporter.grow(int(info["planned"]))
            else:
                if reporter.startup.first is None:
                    reporter.startup.first = time.monotonic()
                results.take(item, info, reporter)


def run_cohort(files: list[str], options: CohortOptions) -> int:
    """The exit code: 0, or the first failure's; KeyboardInterrupt after cleaning up.

    Ray's driver prints cluster messages (a killed actor, a retried task) to
    stdout; while it runs, stdout is stderr, and results go to the stream the
    command was given."""
    sink = TextSink(options.output, options.fmt, records=options.as_json)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            code, _ = run_on_cluster(files, options, Printed(sink))
    except BaseException:
        sink.discard()
        raise
    sink.finish()
    return code


LABELS = {"plot": "plotting", "forecast": "forecasting", "evaluate": "forecasting"}


def run_on_cluster(
    files: list[str], options: CohortOptions, results: Results
) -> tuple[int, LoadedModel]:
    """Run the job to its end: the exit code of its records, and the model it used."""
    startup = Startup()
    guard: OutputGuard | None = None
    with joined_while_checking(options, startup) as (ray, checking):
        try:
            actors = plan_actors(ray.cluster_resources(), options.model, options.actors)
            model = checking.result()
            if options.kind == "plot":
                guard = _guard(options)
            data = build_dataset(ray, files, options, actors, guard, model)
            with CohortReporter(actors, LABELS[options.kind], startup) as reporter:
                follow(data, reporter, results)
        except BaseException:
            if guard is not None:
                guard.cancel()  # first: no task writes after this, whatever the cluster does
            raise
    if guard is not None:
        guard.finish()
    return int(reporter.exit_code() or ExitCode.OK), model


def _guard(options: CohortOptions) -> OutputGuard:
    """The output directory, made only when named with a trailing slash (as the
    local path does), holding this run's marker."""
    folder = output_directory(options)
    prepare_directory(folder, options.plan.file is None and options.plan.create)
    return OutputGuard.create(folder)
