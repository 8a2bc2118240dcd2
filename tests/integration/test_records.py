"""The CLI's `--json` records have one shape, and data warnings appear where data is used.

Real daemon, real CLI processes: `plot` and `forecast` records are compared key
for key across one file, several files, several subjects, skipped and failed
images (docs/PROTOCOL.md, "CLI records"), and a Libre export read every 15
minutes (two thirds interpolated) must say so on stderr, once per file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from glurpc_cli.records import FORECAST_FIELDS, PLOT_FIELDS

from .exports import cohort_table, libre_15_minutes
from .samples import cgm_csv

pytestmark = pytest.mark.integration

RUN_TIMEOUT_S = 300
DOC = Path(__file__).resolve().parents[2] / "docs" / "PROTOCOL.md"


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "cgm.csv").write_bytes(cgm_csv(hours=12, seed=3))
    (tmp_path / "a" / "export.csv").write_bytes(cgm_csv(hours=11, seed=4))
    (tmp_path / "b" / "export.csv").write_bytes(cgm_csv(hours=11, seed=5))
    (tmp_path / "cohort.csv").write_bytes(cohort_table()[0])
    (tmp_path / "libre.csv").write_bytes(libre_15_minutes()[0])
    return tmp_path


def glurpc(daemon, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        daemon.cli(*args), cwd=cwd, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
    )


def records(result: subprocess.CompletedProcess[str]) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_plot_records_have_one_shape_whatever_the_inputs(daemon, work):
    runs = {
        "one file": ("plot", "cgm.csv", "--index", "1", "--json"),
        "one file again (skipped)": (
            "plot", "cgm.csv", "--index", "1", "--json", "--skip-existing",
        ),
        "two windows": ("plot", "cgm.csv", "--index", "0..1", "-o", "out/", "--json"),
        "several files": (
            "plot", "a/export.csv", "b/export.csv", "--index", "0", "-o", "out/",
            "--name", "{parent}_{stem}_{window}", "--json",
        ),
        "every subject": (
            "plot", "cohort.csv", "--subject", "all", "--index", "0", "-o", "out/", "--json",
        ),
        "a failure": ("plot", "cgm.csv", "--index", "5000", "-o", "out/", "--json"),
    }  # fmt: skip
    seen: dict[str, list[dict]] = {}
    for name, args in runs.items():
        result = glurpc(daemon, work, *args)
        seen[name] = records(result)
        assert seen[name], (name, result.stderr)
    for name, lines in seen.items():
        for line in lines:
            assert tuple(line) == PLOT_FIELDS, (name, line)
    written = [line for lines in seen.values() for line in lines if line["status"] == "written"]
    assert len(written) == 1 + 2 + 2 + 3
    for line in written:
        for key in ("handle", "format", "model", "window_start", "forecast_start", "bytes"):
            assert line[key] is not None, (key, line)
        assert isinstance(line["warnings"], list)
    assert [line["status"] for line in seen["one file again (skipped)"]] == ["skipped"]
    (failed,) = seen["a failure"]
    assert failed["status"] == "failed" and failed["code"] == "index_out_of_range"
    assert sorted(line["subject"] for line in seen["every subject"]) == ["A", "B", "C"]


def test_forecast_records_have_one_shape_for_one_window_several_and_every_subject(daemon, work):
    one = records(glurpc(daemon, work, "forecast", "cgm.csv", "--index", "0"))
    several = records(glurpc(daemon, work, "forecast", "cgm.csv", "--index", "0..2"))
    subjects = records(glurpc(daemon, work, "forecast", "cohort.csv", "--subject", "all"))
    assert len(one) == 1 and len(several) == 3 and len(subjects) == 3
    for line in one + several + subjects:
        assert tuple(line) == FORECAST_FIELDS, line
        assert line["handle"] is not None and isinstance(line["warnings"], list)
    assert [line["index"] for line in several] == [0, 1, 2]


def test_forecast_writes_one_file_with_o(daemon, work):
    result = glurpc(daemon, work, "forecast", "cgm.csv", "--index", "0..1", "--csv", "-o", "f.csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    lines = (work / "f.csv").read_text().splitlines()
    assert len(lines) == 3 and lines[0].startswith("file,subject,index,wire_index")


def test_plot_and_forecast_show_an_uploads_warnings_once_per_file(daemon, work):
    plotted = glurpc(daemon, work, "plot", "libre.csv", "--index", "0..2", "-o", "out/")
    assert plotted.returncode == 0, plotted.stderr
    imputation = [line for line in plotted.stderr.splitlines() if "imputation" in line]
    assert len(imputation) == 1 and imputation[0].startswith("libre.csv: warning: imputation")
    forecast = glurpc(daemon, work, "forecast", "libre.csv", "--index", "0..300")
    assert forecast.returncode == 0, forecast.stderr
    assert sum("imputation" in line for line in forecast.stderr.splitlines()) == 1
    flags = {w["flag"] for w in records(forecast)[0]["warnings"]}
    assert "imputation" in flags
    single = glurpc(daemon, work, "plot", "libre.csv", "--index", "0", "--json")
    assert "libre.csv: warning: imputation" in single.stderr
    assert "imputation" in {w["flag"] for w in records(single)[0]["warnings"]}
    quiet = glurpc(daemon, work, "-q", "plot", "libre.csv", "--index", "1", "--json")
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert records(quiet)[0]["warnings"]  # -q silences stderr, never the record


def test_the_records_are_documented():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## CLI records") :]
    section = section[: section.index("\n## ", 1)]
    for field in (*PLOT_FIELDS, *FORECAST_FIELDS):
        assert f"`{field}`" in section, field


def test_several_windows_in_one_image(daemon, work):
    grid = glurpc(daemon, work, "plot", "cgm.csv", "--index", "0..3", "--combine", "grid", "--json")
    assert grid.returncode == 0, grid.stderr
    (line,) = records(grid)
    assert tuple(line)[: len(PLOT_FIELDS)] == PLOT_FIELDS and line["indices"] == [0, 1, 2, 3]
    assert line["output"] == "cgm_i0-i3.png"
    single = glurpc(daemon, work, "plot", "cgm.csv", "--index", "2", "-o", "two.png")
    assert single.returncode == 0, single.stderr
    with Image.open(work / "cgm_i0-i3.png") as sheet, Image.open(work / "two.png") as alone:
        assert sheet.size == (3 * 1000, 2 * 600)
        third = sheet.convert("RGB").crop((2000, 0, 3000, 600))
        assert third.tobytes() == alone.convert("RGB").tobytes()
    refused = glurpc(daemon, work, "plot", "cgm.csv", "--index", "0", "--combine", "grid")
    assert refused.returncode == 2 and "2..12 windows" in refused.stderr
    vector = glurpc(daemon, work, "plot", "cgm.csv", "--index", "0..1", "--combine", "grid",
                    "-o", "g.svg")  # fmt: skip
    assert vector.returncode == 2 and "PNG" in vector.stderr


def test_several_windows_on_one_axis(daemon, work):
    args = ("plot", "cgm.csv", "--index", "0,5,10", "--combine", "overlay", "-f", "svg", "--json")
    overlay = glurpc(daemon, work, *args)
    assert overlay.returncode == 0, overlay.stderr
    (line,) = records(overlay)
    assert line["output"] == "cgm_i0-i10_overlay.svg" and line["indices"] == [0, 5, 10]
    svg = (work / "cgm_i0-i10_overlay.svg").read_text()
    assert svg.count(": from 20") == 3  # one legend entry per window
