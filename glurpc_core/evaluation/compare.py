"""Several models scored on the same windows, and how they differ (pure compute).

Each model gets the whole single-model report (assess.py). The differences
are each later model's minus the first's, per horizon: pooled RMSE, MAE and
90 % band coverage, with 95 % bootstrap intervals from resampling whole
sources, paired (every model sees the same resampled sources, so the
interval is on the difference itself, not on two separate numbers). With
fewer than two sources there is nothing to resample: intervals are None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glurpc_core.evaluation.assess import Source, assess
from glurpc_core.evaluation.metrics import (
    BOOTSTRAP_DRAWS,
    bootstrap_picks,
    inside_bands,
    interval,
    pooled_draws,
    subject_sums,
)

MEASURES = ("rmse", "mae", "coverage_90")


def compare(
    names: list[str], sources: list[list[Source]], seed: int = 0, draws: int = BOOTSTRAP_DRAWS
) -> dict[str, Any]:
    """`sources[m]` are model m's forecasts of the same windows, source by source."""
    reports = [assess(one, seed, draws).report for one in sources]
    labels = np.concatenate([np.full(len(s.truth), k) for k, s in enumerate(sources[0])])
    truth = np.concatenate([s.truth for s in sources[0]]).astype(np.float64)
    picks = bootstrap_picks(len(sources[0]), seed, draws) if len(sources[0]) > 1 else None
    measured = [_measures(one, truth, labels, picks) for one in sources]
    first = measured[0]
    differences = []
    for name, other in zip(names[1:], measured[1:], strict=True):
        entry: dict[str, Any] = {"model": name, "against": names[0]}
        for measure in MEASURES:
            (mine, my_draws), (theirs, their_draws) = other[measure], first[measure]
            point, spread = mine - theirs, None
            if my_draws is not None and their_draws is not None:
                spread = interval(my_draws - their_draws)
            entry[measure] = [float(v) for v in point]
            entry[f"{measure}_ci"] = spread
        differences.append(entry)
    return {"reports": reports, "differences": differences}


def _measures(
    sources: list[Source], truth: np.ndarray, labels: np.ndarray, picks: np.ndarray | None
) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """Per measure: (the pooled value [T], its bootstrap draws [draws, T] or None)."""
    median = np.concatenate([s.median for s in sources]).astype(np.float64)
    quantiles = np.concatenate([s.quantiles for s in sources]).astype(np.float64)
    error = median - truth
    per_window = {
        "rmse": error**2,
        "mae": np.abs(error),
        "coverage_90": inside_bands(quantiles, truth)["90"].astype(np.float64),
    }
    out: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    for measure, values in per_window.items():
        pooled = values.mean(axis=0)
        draws = None
        if picks is not None:
            sums, counts = subject_sums(values, labels)
            draws = pooled_draws(sums, counts, picks)
        if measure == "rmse":
            pooled = np.sqrt(pooled)
            draws = None if draws is None else np.sqrt(draws)
        out[measure] = (pooled, draws)
    return out
