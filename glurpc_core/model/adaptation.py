"""Personal adaptation of served forecasts (pure compute: numpy; never asyncio).

`--adapt personal-ar` (the default) serves, for a window whose forecast starts
at t, the causal personal forecaster of personal.py (fitted on the upload's
readings at or before t, falling back to the population for short files) with
bands from the person's own recent errors: each step's predictive distribution
is the forecast plus the person's error scale times a fixed mixture of
standardised errors (`BandShape`, fitted on the validation subjects), so
numbers and plotted fans come from one distribution. `--adapt none` serves the
network's own mixture. Either way quantiles, median and the fan's support stay
inside the sensor's range (SENSOR_RANGE).

The per-upload work (`AdaptationState`: forecast and scale for every grid
point) is computed once per series and cached; applying it to a window is a
few array operations.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast
from glurpc_core.model.mixture import mixture_quantiles
from glurpc_core.model.personal import PersonalPrior, personal_forecasts
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, SENSOR_RANGE, CgmSeries

PERSONAL_AR = "personal-ar/1"
NONE = "none"
# What the wire and the CLI accept for `adapt` (the versioned name is what replies say).
ADAPT_CHOICES = {"none": NONE, "personal-ar": PERSONAL_AR}
DEFAULT_ADAPT = "personal-ar"
DEFAULT_PARAMETERS = Path(__file__).parent / "default" / "personal_ar.json"


@dataclass(frozen=True)
class BandShape:
    """Standardised error distribution per step: an equal-weight mixture of
    N(centres[t, k], width[t]^2); quantiles precomputed at QUANTILE_LEVELS."""

    centres: np.ndarray  # [12, K]
    width: np.ndarray  # [12]

    def quantiles(self) -> np.ndarray:
        """[5, 12] standardised quantiles."""
        stds = np.repeat(self.width[:, None], self.centres.shape[1], axis=1)[None]
        return mixture_quantiles(self.centres[None], stds, QUANTILE_LEVELS)[0]


@dataclass(frozen=True)
class Adapter:
    """The shipped population parameters of the personal forecaster and its bands."""

    prior: PersonalPrior
    bands: BandShape
    fitted_on: str
    # The band shape's standardised quantiles [5, 12], computed once at load.
    band_quantiles: np.ndarray
    # Of the parameters file: cached states of other parameters are never served.
    digest: str = ""

    @classmethod
    def load(cls, path: Path = DEFAULT_PARAMETERS) -> Adapter:
        raw = path.read_bytes()
        saved = json.loads(raw)
        prior = PersonalPrior.from_json(saved["prior"])
        bands = BandShape(
            np.asarray(saved["bands"]["centres"], dtype=np.float64),
            np.asarray(saved["bands"]["width"], dtype=np.float64),
        )
        if bands.centres.shape[0] != OUTPUT_STEPS or bands.width.shape != (OUTPUT_STEPS,):
            raise ValueError(f"{path}: band shape must have {OUTPUT_STEPS} steps")
        digest = hashlib.sha256(raw).hexdigest()[:12]
        return cls(prior, bands, str(saved.get("fitted_on", "")), bands.quantiles(), digest)

    def state(self, series: CgmSeries) -> AdaptationState:
        personal = personal_forecasts(series, self.prior)
        return AdaptationState(
            PERSONAL_AR,
            personal.forecast.astype(np.float32),
            personal.scale.astype(np.float32),
        )

    def apply(
        self, window: WindowForecast, series: CgmSeries, state: AdaptationState
    ) -> WindowForecast:
        """The window's forecast as the personal forecaster serves it."""
        end = series.input_start(window.index) + INPUT_STEPS - 1
        point = state.forecast[end].astype(np.float64)
        scale = state.scale[end].astype(np.float64)
        means = point[:, None] + scale[:, None] * self.bands.centres  # [12, K]
        stds = scale[:, None] * self.bands.width[:, None] * np.ones_like(self.bands.centres)
        quantiles = point[None, :] + scale[None, :] * self.band_quantiles
        return within_sensor_range(
            replace(
                window,
                sample_means=means.astype(np.float32),
                sample_stds=stds.astype(np.float32),
                median=quantiles[QUANTILE_LEVELS.index(0.5)].astype(np.float32),
                quantiles=quantiles.astype(np.float32),
            )
        )


def served(
    windows: dict[int, WindowForecast],
    series: CgmSeries,
    adapter: Adapter | None,
    state: AdaptationState | None,
) -> dict[int, WindowForecast]:
    """The windows as served, by the daemon and the Ray engine alike: adapted when
    there is a state, and always inside the sensor's range (forecasts cached
    before that rule are clipped here)."""
    if state is None or adapter is None:
        return {index: within_sensor_range(w) for index, w in windows.items()}
    return {index: adapter.apply(w, series, state) for index, w in windows.items()}


def within_sensor_range(window: WindowForecast) -> WindowForecast:
    """Median and quantiles clipped to what a sensor can read (a clipped quantile
    keeps its level: the sensor reports everything beyond as Low or High)."""
    low, high = SENSOR_RANGE
    return replace(
        window,
        median=np.clip(window.median, low, high).astype(np.float32),
        quantiles=np.clip(window.quantiles, low, high).astype(np.float32),
    )


@dataclass(frozen=True)
class AdaptationState:
    """Per grid point of one series: the personal forecast and error scale [N, 12]."""

    method: str
    forecast: np.ndarray
    scale: np.ndarray

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(buffer, method=np.asarray(self.method), forecast=self.forecast, scale=self.scale)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> AdaptationState:
        with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
            return cls(str(arrays["method"]), arrays["forecast"], arrays["scale"])


def adapt_method(name: str | None, *, model_named: bool = False) -> str:
    """The versioned method for a wire/CLI name; ValueError for an unknown one.

    Unnamed, it is personal-ar for the serving default and none for a request
    that names a model: the personal forecaster never reads the network, so
    under it every model would serve the same forecast, and naming a model
    asks for that model's own."""
    if name is None:
        return NONE if model_named else ADAPT_CHOICES[DEFAULT_ADAPT]
    if name not in ADAPT_CHOICES:
        raise ValueError(f"adapt must be one of {', '.join(ADAPT_CHOICES)}")
    return ADAPT_CHOICES[name]
