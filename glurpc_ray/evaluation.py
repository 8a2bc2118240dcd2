"""`glurpc evaluate --engine ray`: the windows forecast on the cluster, the
report scored here, as the daemon scores it.

Layer: cohort engine, driver side. The cluster prepares every file (or each
subject of a table) and forecasts every window with a known next hour; each
window comes back as the few arrays scoring reads (glurpc_core WindowPoints),
each source as its prepared series. The driver then builds the sources in the
order the files and subjects were given and calls the daemon's own
`assess` once (pooled numbers and bootstrap intervals need every source at
once), and draws the figure with the daemon's own code: the same report, the
same bytes. A file or subject too short for one window is skipped with a note,
as the local command does; any other failure stops the report.
"""

from __future__ import annotations

import contextlib
import pickle
import sys
from dataclasses import dataclass, field
from typing import Any

from glurpc_cli.errors import GlurpcError
from glurpc_cli.output import info as note
from glurpc_wire.codes import ErrorCode

from .options import CohortOptions
from .pipeline import CohortReporter, LoadedModel, run_on_cluster


@dataclass
class _Source:
    file: str
    subject: str | None
    series: bytes  # the prepared upload, the daemon's cache encoding
    wires: list[int]
    points: dict[int, Any] = field(default_factory=dict)  # wire -> WindowPoints

    @property
    def label(self) -> str:
        """As the local command names it (evaluate's per-source rows)."""
        return self.file if self.subject is None else f"{self.file}#{self.subject}"


class Collected:
    """The sources and their windows' points as they come back, any order."""

    def __init__(self) -> None:
        self.sources: dict[tuple[str, str | None], _Source] = {}
        self.failures: list[dict[str, Any]] = []

    def take(self, item: dict[str, Any], info: dict[str, Any], reporter: CohortReporter) -> None:
        if item["kind"] == "source":
            key = (item["file"], info["subject"])
            self.sources[key] = _Source(*key, item["data"], info["wires"])
        elif item["kind"] == "window":
            key = (item["file"], info["subject"])
            self.sources[key].points[info["wire"]] = pickle.loads(item["data"])  # ModelStage
            reporter.record({"status": "written"})  # the progress bar, counted in windows
        else:
            self.failures.append(info)

    def in_order(self, files: list[str]) -> list[_Source]:
        """Sources as the local command sends them: file by file, subjects in
        the table's order (the prepare task emits them in that order)."""
        place = {name: position for position, name in enumerate(files)}
        keyed = sorted(enumerate(self.sources.values()), key=lambda p: (place[p[1].file], p[0]))
        return [source for _, source in keyed]


def evaluate_cohort(files: list[str], options: CohortOptions) -> dict[str, Any]:
    """The report `glurpc evaluate` prints, with the figure as `image` when
    `options.fmt` names its format."""
    collected = Collected()
    with contextlib.redirect_stdout(sys.stderr):  # Ray's driver messages, as run_cohort
        _, model = run_on_cluster(files, options, collected)
    _check(collected.failures)
    sources = collected.in_order(files)
    if not sources:
        raise GlurpcError("no file or subject has enough data for one window", code=ErrorCode.USAGE)
    return _report(sources, model, options.adapt, options.fmt)


def _check(failures: list[dict[str, Any]]) -> None:
    for failure in failures:
        code = ErrorCode(failure["code"])
        if code != ErrorCode.TOO_SHORT:
            raise GlurpcError(f"{failure['file']}: {failure['message']}", code=code)
        where = (
            failure["file"]
            if failure["subject"] is None
            else (f"{failure['file']}#{failure['subject']}")
        )
        note(f"skipping {where}: {failure['message']}")


def _report(sources: list[_Source], model: LoadedModel, method: str, fmt: str) -> dict[str, Any]:
    from glurpc_core import ingest
    from glurpc_core.evaluation.assess import assess, compact_source
    from glurpc_core.identity import upload_handle

    prepared = [ingest.PreparedData.from_bytes(source.series) for source in sources]
    scored = [
        compact_source(one.label, data.series, one.wires, [one.points[w] for w in one.wires])
        for one, data in zip(sources, prepared, strict=True)
    ]
    assessment = assess(scored)
    # As the daemon's evaluate answers: what was scored is what is served.
    report = {**assessment.report, "model": model.facts, "adapt": method}
    report["sources"] = [
        {**entry, "handle": upload_handle(data.digest, model.tag)}
        for entry, data in zip(assessment.report["sources"], prepared, strict=True)
    ]
    if fmt:
        from glurpc_core.render.evaluation import render_evaluation

        report["image"] = render_evaluation(assessment.report, assessment.points, fmt)
        report["format"] = fmt
    return report
