"""Real exports, whole: every stretch and subject, exact row accounting, windows by
index or time, numbers in bulk and histories that never see their own future,
through a real daemon (shipped model) and the real `glurpc` CLI.

The expected numbers come from tests/integration/exports.py, which derives them
from the generator's records, never from glurpcd code.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from .daemons import DaemonProcess
from .exports import (
    causal_history,
    cohort_table,
    libre_15_minutes,
    semicolon_mmol,
    stretchy_dexcom,
)

pytestmark = pytest.mark.integration


def glurpc(daemon: DaemonProcess, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(daemon.cli(*args), capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, object]]:
    base = tmp_path_factory.mktemp("exports")
    made = {}
    for name, (raw, expected) in {
        "dexcom": stretchy_dexcom(),
        "cohort": cohort_table(),
        "semicolon": semicolon_mmol(),
        "libre": libre_15_minutes(),
    }.items():
        path = base / f"{name}.csv"
        path.write_bytes(raw)
        made[name] = (path, expected)
    return made


def test_every_stretch_and_every_row_accounted(daemon, files) -> None:
    path, expected = files["dexcom"]
    result = json.loads(glurpc(daemon, "process", str(path), "--json").stdout)
    assert [(s["readings"], s["points"]) for s in result["stretches"]] == [
        (readings, points) for readings, points, _ in expected.stretches
    ]
    assert len(result["stretches"]) == 4 and not result["stretches"][1]["used"]
    assert result["windows"] == result["samples"] == expected.windows
    assert result["accounting"] == expected.rows
    categories = {k: v for k, v in result["accounting"].items() if k != "rows"}
    assert sum(categories.values()) == result["accounting"]["rows"]
    flags = {w["flag"]: w for w in result["warnings"]}
    assert flags["out_of_range"]["lines"] == expected.out_of_range_lines
    assert flags["truncated_line"]["lines"] == expected.truncated_lines
    assert flags["clipped"]["count"] > 0  # High/Low kept at the limits, flagged
    assert flags["too_short"]["count"] == expected.rows["too_short"]


def test_index_counts_back_over_every_stretch(daemon, files) -> None:
    path, expected = files["dexcom"]
    listing = list(csv.DictReader(io.StringIO(
        glurpc(daemon, "process", str(path), "--windows", "--csv").stdout
    )))  # fmt: skip
    known = [row for row in listing if row["future_known"] == "yes"]
    assert len(known) == expected.windows
    assert listing[-1]["index"] == "ahead"
    used = [n for n, (_, _, windows) in enumerate(expected.stretches) if windows]
    assert sorted({int(row["stretch"]) for row in known}) == used
    # The oldest window lies in the first stretch, ten days of gaps notwithstanding.
    oldest = known[-1]
    assert oldest["index"] == str(expected.windows - 1) and oldest["stretch"] == "0"
    out = glurpc(daemon, "forecast", str(path), "--index", f"{oldest['index']},0")
    first, latest = json_lines(out.stdout)
    assert first["forecast_start"] == oldest["forecast_start"]
    assert latest["forecast_start"] == known[0]["forecast_start"]
    # --at on a listed forecast start, and a minute after it, picks that window.
    middle = known[len(known) // 2]
    for at in (middle["forecast_start"], middle["forecast_start"][:-2] + "59"):
        picked = json_lines(glurpc(daemon, "forecast", str(path), "--at", at).stdout)[0]
        assert picked["index"] == int(middle["index"])
    refused = glurpc(daemon, "forecast", str(path), "--index", str(expected.windows), check=False)
    assert refused.returncode == 1
    assert f"outside --index 0..{expected.windows - 1}" in refused.stderr
    overshoot = glurpc(daemon, "forecast", str(path), "--index", "0..100000", check=False)
    # The file's data warnings come first (once); the refusal is one line.
    errors = [line for line in overshoot.stderr.splitlines() if ": warning: " not in line]
    assert overshoot.returncode == 1 and len(errors) == 1, overshoot.stderr


def test_subjects_one_all_and_listing_agree(daemon, files, tmp_path) -> None:
    path, expected = files["cohort"]
    refused = glurpc(daemon, "plot", str(path), check=False)
    assert refused.returncode == 2 and "A, B, C" in refused.stderr
    listing = json.loads(glurpc(daemon, "process", str(path), "--json").stdout)
    assert {s["subject"]: s["windows"] for s in listing["subjects"]} == {
        subject: one.windows for subject, one in expected.items()
    }
    assert [len(s["stretches"]) for s in listing["subjects"]] == [1, 2, 1]
    rows = list(csv.DictReader(io.StringIO(
        glurpc(daemon, "process", str(path), "--subject", "all", "--windows", "--csv").stdout
    )))  # fmt: skip
    for subject, one in expected.items():
        assert (
            sum(r["subject"] == subject and r["future_known"] == "yes" for r in rows) == one.windows
        )
    every = json_lines(glurpc(daemon, "forecast", str(path), "--subject", "all", "-i", "3").stdout)
    assert [line["subject"] for line in every] == ["A", "B", "C"]
    alone = json_lines(glurpc(daemon, "forecast", str(path), "--subject", "B", "-i", "3").stdout)
    assert alone[0]["median"] == every[1]["median"]
    listed_b = [r for r in rows if r["subject"] == "B" and r["index"] == "3"][0]
    assert alone[0]["forecast_start"] == listed_b["forecast_start"]
    at_b = glurpc(
        daemon, "forecast", str(path), "--subject", "B", "--at", listed_b["forecast_start"]
    )
    assert json_lines(at_b.stdout)[0]["index"] == 3
    out = tmp_path / "plots"
    glurpc(daemon, "plot", str(path), "--subject", "all", "-i", "0", "-o", f"{out}/")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["cohort_A_i0.png", "cohort_B_i0.png", "cohort_C_i0.png"]
    for name in names:
        with Image.open(out / name) as image:
            assert image.size == (1000, 600)


def test_no_history_uses_a_reading_after_its_forecast_start(daemon, files) -> None:
    path, expected = files["libre"]
    lines = json_lines(glurpc(daemon, "forecast", str(path), "--all").stdout)
    assert len(lines) == expected.windows
    leaky = 0
    for line in lines:
        assert line["forecast_start"] == line["history_times"][-1]
        causal = causal_history(expected, line["history_times"], line["forecast_start"])
        np.testing.assert_allclose(line["history"], causal, atol=2e-3)
        # Interpolating over every reading would differ here: the test has teeth.
        full = causal_history(expected, line["history_times"], "2100-01-01T00:00:00")
        leaky += not np.allclose(full, causal, atol=2e-3)
    assert leaky > len(lines) // 2


def test_semicolon_decimal_comma_mmol_is_read_in_its_unit(daemon, files, tmp_path) -> None:
    path, expected = files["semicolon"]
    result = json.loads(glurpc(daemon, "process", str(path), "--json").stdout)
    assert (result["unit"], result["windows"]) == ("mmol/L", expected.windows)
    line = json_lines(glurpc(daemon, "forecast", str(path)).stdout)[0]
    assert line["unit"] == "mmol/L" and 2 < line["last_value"] < 23
    in_mgdl = json_lines(glurpc(daemon, "forecast", str(path), "--units", "mg/dL").stdout)[0]
    assert in_mgdl["last_value"] == pytest.approx(line["last_value"] * 18.0182, abs=0.01)
    unknown = tmp_path / "odd.csv"
    unknown.write_bytes(b"Datum;Wert\n2024-03-04 10:00;5,6\n")
    refused = glurpc(daemon, "process", str(unknown), check=False)
    assert refused.returncode == 1 and "semicolon" in refused.stderr


def test_two_uploads_of_one_series_keep_their_own_warnings(daemon, files) -> None:
    path, _ = files["cohort"]
    clean = path.read_bytes()
    cut = clean + b"C,2024-03-07 09:00"  # a last line cut off: dropped, same series
    with daemon.connect() as conn:
        first = conn.call("process", {"csv": cut, "subject": "C"})["data"]
        second = conn.call("process", {"csv": clean, "subject": "C"})["data"]
        third = conn.call("process", {"csv": cut, "subject": "C"})["data"]
    assert first["handle"] == second["handle"] == third["handle"]
    assert "truncated_line" in {w["flag"] for w in first["warnings"]}
    assert "truncated_line" not in {w["flag"] for w in second["warnings"]}
    assert third["warnings"] == first["warnings"]
    assert second["accounting"]["rows"] == first["accounting"]["rows"] - 1


def test_eight_and_a_half_hours_plot_the_next_hour(daemon, tmp_path) -> None:
    # One 8.5-hour stretch: no window has its next hour in the data, but the hour
    # after the last reading needs only the 8 hours before it (it was refused:
    # "one forecast window needs 540 minutes").
    from .samples import cgm_csv

    path = tmp_path / "short.csv"
    path.write_bytes(cgm_csv(hours=8.5, seed=9))
    listed = json_lines(glurpc(daemon, "process", str(path), "--json").stdout)[0]
    assert listed["windows"] == 0
    figure = tmp_path / "next.png"
    done = glurpc(daemon, "plot", str(path), "--ahead", "-o", str(figure))
    assert done.returncode == 0, done.stderr
    with Image.open(figure) as image:
        assert image.size == (1000, 600)
    (ahead,) = json_lines(glurpc(daemon, "forecast", str(path), "--ahead").stdout)
    assert ahead["wire_index"] == 12 and all(value is None for value in ahead["truth"])
    refused = glurpc(daemon, "plot", str(path), "--index", "0", "-o", str(figure), check=False)
    assert refused.returncode == 1 and "--ahead for the next hour" in refused.stderr
