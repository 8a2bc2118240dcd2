"""Two models on the same windows: each one's report as alone, and paired
differences whose intervals shrink to a point when the models differ by a
constant everywhere."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from glurpc_core.evaluation.assess import assess
from glurpc_core.evaluation.compare import compare

from .test_assess import source


def shifted(one, offset):
    """The same windows forecast `offset` mg/dL higher, bands moved along."""
    return dataclasses.replace(one, median=one.median + offset, quantiles=one.quantiles + offset)


def test_differences_are_paired_and_each_report_is_the_models_own():
    first = [source("a", 1, 400), source("b", 2, 400), source("c", 3, 400)]
    second = [shifted(one, 10.0) for one in first]  # errors 5 -> 15 mg/dL, everywhere
    result = compare(["near", "far"], [first, second], draws=200)
    assert result["reports"][1] == assess(second, draws=200).report
    (difference,) = result["differences"]
    assert (difference["model"], difference["against"]) == ("far", "near")
    assert difference["rmse"] == pytest.approx([10.0] * 12)
    assert difference["mae"] == pytest.approx([10.0] * 12)
    # Every resampling of sources sees the same +10: a paired interval is a point.
    assert np.allclose(difference["rmse_ci"], 10.0) and np.allclose(difference["mae_ci"], 10.0)
    assert all(low <= high for low, high in difference["coverage_90_ci"])


def test_one_source_gives_differences_without_intervals():
    one = [source("a", 4, 300)]
    (difference,) = compare(["x", "y"], [one, [shifted(one[0], -5.0)]])["differences"]
    assert difference["mae"] == pytest.approx([-5.0] * 12)
    assert difference["rmse_ci"] is None and difference["coverage_90_ci"] is None
