"""The notebook API (glurpc_local) against a real daemon: the CLI's numbering,
units, subjects, `at` and history hours, plain results, optional frames."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest
from PIL import Image

import glurpc_local as gl

from .exports import cohort_table
from .samples import cgm_csv

pytestmark = pytest.mark.integration

CSV = cgm_csv(hours=12, seed=3)


@pytest.fixture
def opts(daemon) -> dict:
    return {"socket": daemon.socket, "autostart": False}


def test_index_counts_back_from_the_latest_as_the_cli_does(opts, tmp_path: Path):
    (tmp_path / "cgm.csv").write_bytes(CSV)
    info = gl.process(tmp_path / "cgm.csv", **opts)
    assert info.windows > 3 and info.handle
    third = gl.forecast(tmp_path / "cgm.csv", 3, **opts)
    assert third.index == 3 and third.wire_index == -3
    # A window 3 before the latest has its whole next hour in the data.
    assert all(value is not None for value in third.truth)
    listed = {entry["index"]: entry for entry in info.window_list}
    assert third.forecast_start == listed[3]["forecast_start"]
    ahead = gl.forecast(CSV, ahead=True, **opts)
    assert ahead.index is None and ahead.wire_index == 12
    assert all(value is None for value in ahead.truth)
    with pytest.raises(ValueError, match="ahead=True"):
        gl.forecast(CSV, -1, **opts)


def test_units_subject_and_at(opts):
    mgdl = gl.forecast(CSV, 1, **opts)
    mmol = gl.forecast(CSV, 1, units="mmol/L", **opts)
    assert mmol.unit == "mmol/L"
    assert mmol.median[0] == pytest.approx(mgdl.median[0] / 18.0182, abs=1e-3)
    at = gl.forecast(CSV, at=mgdl.forecast_start.isoformat(), **opts)
    assert at.wire_index == mgdl.wire_index
    table = cohort_table()[0]
    listing = gl.process(table, **opts)
    assert listing.subjects == ["A", "B", "C"]
    b = gl.forecast(table, 0, subject="B", **opts)
    assert b.subject == "B"
    with pytest.raises(gl.RequestFailed) as caught:
        gl.forecast(CSV, at="2023-03-15T12:00Z", **opts)
    assert caught.value.code == "bad_request"


def test_model_and_adaptation_are_chosen_as_on_the_command_line(opts):
    served = gl.forecast(CSV, 1, **opts)
    named = gl.forecast(CSV, 1, model="default", **opts)
    network = gl.forecasts(CSV, [1], adapt="none", **opts).windows[0]
    assert served.adapt == "personal-ar/1"
    # Naming a model asks for that network's own forecast (docs/PROTOCOL.md `adapt`).
    assert named.adapt == network.adapt == "none" and named.median == network.median
    assert named.model == served.model
    assert gl.plot(CSV, 1, model="default", **opts).adapt == "none"
    scored = gl.evaluate(CSV, model="default", adapt="personal-ar", **opts)
    assert scored.report["adapt"] == "personal-ar/1"
    with pytest.raises(gl.RequestFailed) as caught:
        gl.forecast(CSV, 1, model="absent", **opts)
    assert caught.value.code == "model_not_found"


def test_plot_takes_history_hours_and_shows_inline(opts):
    figure = gl.plot(CSV, 2, history_hours=2, units="mmol/L", **opts)
    assert figure.index == 2 and figure.format == "png"
    png = figure._repr_png_()
    assert png is not None
    assert Image.open(io.BytesIO(png)).size == (1000, 600)
    svg = gl.plot(CSV, 2, format="svg", **opts)
    assert svg._repr_png_() is None and "mmol/L" not in (svg._repr_svg_() or "")


def test_results_are_plain_and_turn_into_frames(opts):
    several = gl.forecasts(CSV, range(3), **opts)
    assert [window.index for window in several] == [0, 1, 2]
    assert pickle.loads(pickle.dumps(several)) == several
    frame = several.to_polars()
    assert frame.height == 3 * 12
    assert {"index", "time", "minutes_ahead", "median", "q0.05", "truth"} <= set(frame.columns)
    pandas = pytest.importorskip("pandas")
    assert isinstance(several[0].to_pandas(), pandas.DataFrame)


def test_evaluate_scores_several_files_and_draws_the_figure(opts, tmp_path: Path):
    (tmp_path / "a.csv").write_bytes(CSV)
    scores = gl.evaluate([tmp_path / "a.csv", cgm_csv(hours=13, seed=12)], plot="png", **opts)
    assert [source["label"] for source in scores.sources] == ["a.csv", "source 2"]
    assert scores.forecasters[:2] == ["model", "persistence"]
    assert scores.horizons_min == list(range(5, 61, 5))
    assert Image.open(io.BytesIO(scores._repr_png_() or b"")).format == "PNG"
    table = scores.to_polars()
    assert table.height == 3 * len(scores.forecasters) * 12  # two sources and the pool
    assert {"label", "forecaster", "horizon_min", "rmse", "mae"} <= set(table.columns)
