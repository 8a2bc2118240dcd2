"""`glurpc evaluate` through the real CLI against a real daemon on seeded
synthetic exports: the JSON report's shape and arithmetic invariants, the
figure decodes as a PNG, Markdown and CSV outputs, a cohort table's subjects."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from tests.support.synthetic import make_trace, to_generic

from .samples import cgm_csv

pytestmark = pytest.mark.integration

RUN_TIMEOUT_S = 600
FORECASTERS = ["model", "persistence", "linear", "personal_ar"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("evaluate")
    (folder / "a.csv").write_bytes(cgm_csv(hours=14, seed=11))
    (folder / "b.csv").write_bytes(cgm_csv(hours=13, seed=12))
    cohort = b""
    for number, subject in enumerate(("s1", "s2")):
        times, values = make_trace(days=0.55, seed=20 + number)
        cohort += to_generic(times, values, subject=subject, header=number == 0)
    (folder / "cohort.csv").write_bytes(cohort)
    return folder


def glurpc(daemon, cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(daemon.cli(*args), cwd=cwd, capture_output=True, timeout=RUN_TIMEOUT_S)


def test_json_report_and_figure_of_two_files(daemon, exports: Path) -> None:
    result = glurpc(daemon, exports, "evaluate", "a.csv", "b.csv", "--json", "--plot", "fig.png")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["files"] == ["a.csv", "b.csv"]
    assert report["horizons_min"] == list(range(5, 61, 5))
    assert report["forecasters"] == FORECASTERS
    assert [s["label"] for s in report["sources"]] == ["a.csv", "b.csv"]
    assert all(len(s["handle"]) == 64 for s in report["sources"])
    pooled = report["pooled"]
    assert pooled["windows"] == sum(s["windows"] for s in report["sources"]) > 0
    for name in FORECASTERS:
        for metric in ("rmse", "mae", "mard", "bias"):
            assert len(pooled["metrics"][name][metric]) == 12
        assert len(pooled["rmse_ci"][name]) == 12  # two sources: intervals exist
    assert pooled["ratio_to_persistence"]["persistence"]["rmse"] == [1.0] * 12
    for band in ("50", "90"):
        assert all(0.0 <= share <= 1.0 for share in pooled["coverage"][band])
    for minutes in ("30", "60"):
        for grid in ("clarke", "parkes"):
            shares = pooled["grids"][grid][minutes]["model"]
            assert list(shares) == ["A", "B", "C", "D", "E"]
            assert sum(shares.values()) == pytest.approx(1.0)
    points = [sum(entry["points"][5] for entry in pooled["by_range"].values())]
    assert points == [pooled["windows"]]  # every window's truth at 30 min is in one range
    assert report["model"]["model"] and "image" not in report
    with Image.open(exports / "fig.png") as image:
        image.load()  # decodes every byte
        assert image.format == "PNG" and image.size[0] > 1000


def test_markdown_and_csv_say_the_same_numbers(daemon, exports: Path) -> None:
    table = glurpc(daemon, exports, "evaluate", "a.csv")
    assert table.returncode == 0, table.stderr
    text = table.stdout.decode()
    assert "| forecaster | 5 | 10 |" in text and "personal AR(6)" in text
    rows = glurpc(daemon, exports, "evaluate", "a.csv", "--csv")
    assert rows.returncode == 0, rows.stderr
    parsed = list(csv.DictReader(io.StringIO(rows.stdout.decode())))
    rmse = {
        row["horizon_min"]: float(row["value"])
        for row in parsed
        if row["source"] == "pooled" and row["forecaster"] == "model" and row["metric"] == "rmse"
        and row["range"] == "all"
    }  # fmt: skip
    assert sorted(map(int, rmse)) == list(range(5, 61, 5))
    model_row = next(line for line in text.splitlines() if line.startswith("| served model |"))
    assert model_row.split("|")[7].strip() == f"{rmse['30']:.1f}"  # the 30-minute column


def test_every_subject_of_a_cohort_table_is_a_source(daemon, exports: Path) -> None:
    result = glurpc(daemon, exports, "evaluate", "cohort.csv", "--subject", "all", "--json")
    assert result.returncode == 0, result.stderr
    labels = [s["label"] for s in json.loads(result.stdout)["sources"]]
    assert labels == ["cohort.csv#s1", "cohort.csv#s2"]


def test_a_file_with_only_the_next_hour_is_skipped_with_a_note(daemon, exports: Path) -> None:
    # 8.5 hours serve --ahead (no window has a known next hour): nothing to score.
    (exports / "short.csv").write_bytes(cgm_csv(hours=8.5, seed=13))
    result = glurpc(daemon, exports, "evaluate", "a.csv", "short.csv", "--json")
    assert result.returncode == 0, result.stderr
    assert b"skipping short.csv: no window with a known next hour" in result.stderr
    assert [s["label"] for s in json.loads(result.stdout)["sources"]] == ["a.csv"]


def test_a_plot_file_with_an_unknown_extension_is_a_usage_error(daemon, exports: Path) -> None:
    result = glurpc(daemon, exports, "evaluate", "a.csv", "--plot", "fig.gif")
    assert result.returncode == 2
    assert b"--plot fig.gif" in result.stderr


def test_process_without_precompute_queues_no_background_forecast(tmp_path: Path) -> None:
    """`evaluate` prepares its files with `precompute: false`: it asks for every
    window itself, so background forecasts of the newest ones would be repeats."""
    from .daemons import launch_under

    daemon = launch_under(tmp_path, "--render-workers", "0", "--precompute-hours", "6")
    try:
        with daemon.connect() as conn:
            args = {"csv": cgm_csv(hours=12, seed=31), "precompute": False}
            assert conn.call("process", args)["type"] == "result"
            engine = conn.call("status")["data"]["engine"]
            assert engine["background_jobs"] == 0 and engine["model_batches"] == 0
            # The default still precomputes (queued at the reply, or already run).
            assert conn.call("process", {"csv": cgm_csv(hours=12, seed=32)})["type"] == "result"
            engine = conn.call("status")["data"]["engine"]
            assert engine["background_jobs"] > 0 or engine["model_batches"] > 0
    finally:
        daemon.stop()
