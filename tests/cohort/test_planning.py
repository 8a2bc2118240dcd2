"""The cohort engine's pure parts, without Ray: which windows of a file, which
outputs `--skip-existing` keeps, what a bad file becomes, how many actors."""

from __future__ import annotations

from pathlib import Path

import pytest

from glurpc_cli.targets import OutputPlan
from glurpc_ray.cluster import ClusterError, plan_actors
from glurpc_ray.options import CohortOptions, ModelSettings, Selection
from glurpc_ray.selection import plan_file
from tests.integration.exports import cohort_table
from tests.support.cohort import write_cohort


def options(
    tmp_path: Path, wires: tuple[int, ...] | None, at: str | None = None, **extra: object
) -> CohortOptions:
    return CohortOptions(
        kind="plot",
        selection=Selection(wires, ahead=False, at=at),
        plan=OutputPlan(directory=Path("out")),
        cwd=str(tmp_path),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def export(tmp_path: Path) -> Path:
    (path,) = write_cohort(tmp_path / "in", 1, hours=10, seed=5)
    return path.relative_to(tmp_path)  # relative: resolved against the driver's cwd


def test_all_windows_of_a_file_latest_first(tmp_path: Path, export: Path) -> None:
    (plan,) = plan_file(export, options(tmp_path, None))
    assert plan.planned == 13 and plan.records == []
    assert [wire for wire, _ in plan.pending] == [0, *range(-1, -13, -1)]
    assert plan.pending[3][1] == Path("out/subject000_i3.png")


def test_skip_existing_keeps_whole_outputs_and_reports_them(tmp_path: Path, export: Path) -> None:
    (tmp_path / "out").mkdir()
    whole = b"\x89PNG\r\n\x1a\n" + b"pixels" + b"IEND\xaeB`\x82"
    (tmp_path / "out" / "subject000_i1.png").write_bytes(whole)
    (tmp_path / "out" / "subject000_i2.png").write_bytes(whole[:12])  # torn: done again
    (plan,) = plan_file(export, options(tmp_path, (0, -1, -2), skip_existing=True))
    assert [wire for wire, _ in plan.pending] == [0, -2]
    assert [(r["index"], r["status"]) for r in plan.records] == [(1, "skipped")]


def test_an_index_past_the_data_fails_that_window_only(tmp_path: Path, export: Path) -> None:
    (plan,) = plan_file(export, options(tmp_path, (0, -40)))
    assert [wire for wire, _ in plan.pending] == [0]
    (failed,) = plan.records
    assert (failed["index"], failed["code"]) == (40, "index_out_of_range")


def test_a_file_that_is_not_an_export_is_one_failure(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n")
    (plan,) = plan_file(Path("bad.csv"), options(tmp_path, None))
    assert plan.prepared is None and plan.pending == [] and plan.planned == 1
    assert [(r["file"], r["index"], r["code"]) for r in plan.records] == [
        ("bad.csv", None, "invalid_data")
    ]


def test_at_picks_each_files_window_at_that_time(tmp_path: Path, export: Path) -> None:
    from glurpc_core import ingest

    series = ingest.prepare((tmp_path / export).read_bytes(), ingest.PrepareSettings()).series
    when = str(series.window_table()["forecast_start"][3])  # the window 3 before the latest
    (plan,) = plan_file(export, options(tmp_path, None, at=when))
    assert plan.pending == [(-3, Path("out/subject000_i3.png"))] and plan.planned == 1
    (outside,) = plan_file(export, options(tmp_path, None, at="1999-01-01T00:00"))
    assert outside.pending == [] and outside.planned == 1
    assert [(r["index"], r["code"]) for r in outside.records] == [(None, "index_out_of_range")]


def test_subject_all_plans_each_subject_with_its_own_outputs(tmp_path: Path) -> None:
    table, _ = cohort_table()
    (tmp_path / "cohort.csv").write_bytes(table)
    every = options(tmp_path, (0,), request=(("subject", "all"),))
    plans = plan_file(Path("cohort.csv"), every)
    assert [plan.subject for plan in plans] == ["A", "B", "C"]
    assert [plan.pending for plan in plans] == [
        [(0, Path(f"out/cohort_{subject}_i0.png"))] for subject in "ABC"
    ]
    assert [plan.prepared.report["subject"] for plan in plans if plan.prepared] == ["A", "B", "C"]
    (one,) = plan_file(Path("cohort.csv"), options(tmp_path, (0,), request=(("subject", "B"),)))
    assert one.subject == "B" and one.pending == [(0, Path("out/cohort_B_i0.png"))]


def test_subject_all_of_a_one_person_file_is_one_failure(tmp_path: Path, export: Path) -> None:
    (plan,) = plan_file(export, options(tmp_path, None, request=(("subject", "all"),)))
    assert plan.pending == [] and plan.planned == 1
    assert [(r["code"], r["message"].split(":")[0]) for r in plan.records] == [
        ("io_error", "--subject all")
    ]


def test_actors_follow_the_clusters_gpus_then_its_cpus() -> None:
    settings = ModelSettings()
    gpus = plan_actors({"CPU": 32, "GPU": 4}, settings, None)
    assert (gpus.count, gpus.on_gpu, gpus.chunk) == (4, True, 400 * 8)
    cpus = plan_actors({"CPU": 16}, settings, None)
    assert (cpus.count, cpus.on_gpu, cpus.chunk) == (8, False, 8 * 8)
    assert not plan_actors({"CPU": 32, "GPU": 4}, ModelSettings(device="cpu"), 3).on_gpu
    assert plan_actors({"CPU": 2}, settings, None).count == 1


def test_too_many_actors_is_an_error_that_names_the_limit() -> None:
    with pytest.raises(ClusterError, match="at most 1"):
        plan_actors({"CPU": 2}, ModelSettings(), 2)
    with pytest.raises(ClusterError, match="2 GPUs"):
        plan_actors({"CPU": 32, "GPU": 2}, ModelSettings(), 3)


@pytest.mark.parametrize(
    "content",
    [
        b"x" * (32 * 1024 * 1024 + 1),  # more than a daemon accepts
        b"1\n" * 1_500_001,  # within the upload limit, past the line bound
    ],
)
def test_a_file_past_the_daemons_bounds_is_one_failure(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "huge.csv").write_bytes(content)
    (plan,) = plan_file(Path("huge.csv"), options(tmp_path, None))
    (failed,) = plan.records
    assert plan.prepared is None and failed["code"] == "invalid_data"
    assert "too large" in failed["message"] or "larger than" in failed["message"]
