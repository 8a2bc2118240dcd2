"""The evaluation report on constructed sources: its arithmetic invariants,
intervals only with two or more sources, and the figure in every format."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from glurpc_core.evaluation.assess import FORECASTERS, Source, assess
from glurpc_core.render.evaluation import render_evaluation
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, CgmSeries

from .test_personal import ar_series


def source(label: str, seed: int, points: int = 700) -> Source:
    """Every window of a seeded AR trace, 'forecast' by a line 5 mg/dL high."""
    series: CgmSeries = ar_series(points, seed)
    starts = np.arange(points - INPUT_STEPS - OUTPUT_STEPS + 1)
    history = series.history(starts)
    truth = np.stack(
        [series.glucose[s + INPUT_STEPS : s + INPUT_STEPS + OUTPUT_STEPS] for s in starts]
    )
    median = truth + 5.0
    quantiles = median[:, None, :] + np.array([-20.0, -4.0, 0.0, 4.0, 20.0])[None, :, None]
    return Source(label, series, starts, history, truth, median, quantiles)


def test_one_source_report_by_hand_and_without_intervals() -> None:
    report = assess([source("one", 1)], draws=200).report
    pooled = report["pooled"]
    assert pooled["windows"] == 700 - 107 and report["sources"][0]["label"] == "one"
    assert pooled["metrics"]["model"]["bias"] == [5.0] * 12  # a constant 5 mg/dL too high
    assert pooled["metrics"]["model"]["rmse"] == [5.0] * 12
    assert pooled["ratio_to_persistence"]["persistence"]["rmse"] == [1.0] * 12
    # The 25-75 % band is the median +- 4: a 5 mg/dL error is never inside it.
    assert pooled["coverage"]["50"] == [0.0] * 12 and pooled["coverage"]["90"] == [1.0] * 12
    assert pooled["rmse_ci"] is None and pooled["ratio_ci"] is None
    assert pooled["grids"]["clarke"]["30"]["model"]["A"] == 1.0  # 5 in ~200 is well within 20 %
    for step in range(12):
        assert sum(entry["points"][step] for entry in pooled["by_range"].values()) == 593


def test_pooled_intervals_resample_sources() -> None:
    report = assess([source("one", 1), source("two", 2, 900)], draws=300).report
    pooled = report["pooled"]
    assert pooled["windows"] == sum(s["windows"] for s in report["sources"])
    for name in FORECASTERS:
        for low, high in pooled["ratio_ci"][name]["rmse"]:
            assert low <= high
    assert pooled["ratio_ci"]["persistence"]["rmse"] == [[1.0, 1.0]] * 12
    assert report["bootstrap"] == {"draws": 300, "seed": 0, "sources": 2}


def test_the_figure_in_png_svg_and_pdf() -> None:
    assessment = assess([source("one", 1), source("two", 2)], draws=100)
    png = render_evaluation(assessment.report, assessment.points, "png")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
    assert (
        render_evaluation(assessment.report, assessment.points, "svg").lstrip().startswith(b"<?xml")
    )
    assert render_evaluation(assessment.report, assessment.points, "pdf").startswith(b"%PDF")
    assert png == render_evaluation(assessment.report, assessment.points, "png")  # same bytes
