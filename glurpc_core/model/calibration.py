"""Per-horizon calibration of the predictive mixture (pure compute: numpy and the
mixture module; no I/O).

The MC-dropout mixture of a small model is rarely calibrated: on real data its
bands are too wide at the first steps and too narrow at the last. A bundle may
carry a calibration fitted on validation subjects: for each forecast step t,
every sample's Gaussian N(mean, std^2) becomes

    N(centre + spread[t] * (mean - centre - shift), (width[t] * std)^2)

where `centre` is the uncalibrated mixture's median and `shift` the one offset
that keeps it the calibrated mixture's median, so the point forecast never
changes. `spread` scales how far the samples' means sit apart, `width` scales
each sample's own spread; two numbers per step can set both the 50 % and the
90 % band to their nominal coverage. The result is still a Gaussian mixture, so
the quantiles, the median and the plot's fan all come from the same calibrated
distribution. Stds become per step: [T, S].

The shift depends only on width / spread (scaling a mixture scales its median):
it is the median of the mixture N(mean - centre, (width / spread * std)^2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from glurpc_core.model.mixture import mixture_quantiles

METHOD = "mixture-stretch-per-step/1"


@dataclass(frozen=True)
class Calibration:
    spread: np.ndarray  # float64 [T]
    width: np.ndarray  # float64 [T]
    fitted_on: str = ""

    @property
    def name(self) -> str:
        return METHOD

    @classmethod
    def identity(cls, steps: int) -> Calibration:
        return cls(np.ones(steps), np.ones(steps), "")

    @classmethod
    def from_bundle(cls, saved: Mapping[str, Any], steps: int) -> Calibration:
        """ValueError unless `saved` is a calibration of `steps` positive factors."""
        if saved.get("method") != METHOD:
            raise ValueError(f"unknown calibration method {saved.get('method')!r}")
        spread = np.asarray(saved.get("spread"), dtype=np.float64)
        width = np.asarray(saved.get("width"), dtype=np.float64)
        for name, values in (("spread", spread), ("width", width)):
            if values.shape != (steps,) or not (np.isfinite(values) & (values > 0)).all():
                raise ValueError(f"calibration {name} must be {steps} positive numbers")
        return cls(spread, width, str(saved.get("fitted_on", "")))

    def to_bundle(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "spread": [float(v) for v in self.spread],
            "width": [float(v) for v in self.width],
            "fitted_on": self.fitted_on,
        }

    def apply(
        self, centre: np.ndarray, means: np.ndarray, stds: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """centre [W, T], means [W, T, S], stds [W, S] -> (means [W, T, S], stds [W, T, S])."""
        offsets = means - centre[..., None]
        ratio = (self.width / self.spread)[None, :, None]
        shift = recentring_shift(offsets, ratio * stds[:, None, :])
        moved = centre[..., None] + self.spread[None, :, None] * (offsets - shift[..., None])
        widened = self.width[None, :, None] * stds[:, None, :]
        return moved, widened


def recentring_shift(offsets: np.ndarray, stds: np.ndarray) -> np.ndarray:
    """Median [W, T] of the mixtures N(offsets, stds^2), offsets and stds [W, T, S]."""
    return mixture_quantiles(offsets, stds, (0.5,))[:, 0]
