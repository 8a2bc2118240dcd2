"""One window's forecast as plain arrays (pure data: numpy only, no I/O).

Produced by the model worker, cached (as an npz without pickle), rendered and
sent over the wire. All values are in mg/dL.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

QUANTILE_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class WindowForecast:
    index: int
    history_times: np.ndarray  # datetime64[s] [96]
    history: np.ndarray  # float32 [96]
    future_times: np.ndarray  # datetime64[s] [12]
    truth: np.ndarray  # float32 [12], NaN where the data ends
    sample_means: np.ndarray  # float32 [12, S]: each MC-dropout sample's mean
    # float32 [12, S]: each sample's predictive std per step, calibrated (older
    # cache entries and tests may hold [S], one per sample)
    sample_stds: np.ndarray
    median: np.ndarray  # float32 [12], of the Gaussian mixture
    quantiles: np.ndarray  # float32 [5, 12], rows follow QUANTILE_LEVELS

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Arrays for `np.savez` (load back with allow_pickle=False)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["index"] = np.asarray(self.index, dtype=np.int64)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> WindowForecast:
        values: dict[str, Any] = {f.name: arrays[f.name] for f in fields(cls)}
        values["index"] = int(values["index"])
        return cls(**values)
