"""Batched, seeded MC-dropout forecasting of CGM windows (pure compute, blocking;
the daemon calls it from the one thread that owns the model; never asyncio).

Each window is replicated `samples` times along the batch axis so one forward pass
gives every sample. Dropout masks come from per-row streams keyed by (seed, window
index, sample number), BatchNorm stays on its running statistics, so a window's
numbers never depend on the batch it shares or on `batch_rows`.
"""

from __future__ import annotations

import math
import resource
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from glurpc_core.errors import ErrorCode
from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast
from glurpc_core.identity import forecast_tag
from glurpc_core.model.calibration import Calibration
from glurpc_core.model.checkpoint import open_weights
from glurpc_core.model.dropout import RowStreams
from glurpc_core.model.errors import ModelError
from glurpc_core.model.inputs import Scaling, WindowInputs, window_inputs
from glurpc_core.model.mixture import mixture_quantiles
from glurpc_core.model.rows import RowPlan, RowRun
from glurpc_core.series import INPUT_STEPS, OUTPUT_STEPS, SENSOR_RANGE, CgmSeries

# Rows (window x sample) per forward pass. On CPU the matrix products gain
# nothing beyond a few dozen rows, and at 80 rows the published model's largest
# activations ([80, 96, 1024] and [80, 10, 96, 96] float32, 31.5 and 29.5 MB) stay
# under glibc's 32 MiB mmap ceiling, so with the daemon's heap policy
# (glurpc_core/memory.py) they reuse freed arena memory instead of faulting in fresh
# pages: 11.6 s for 110 windows x 10 samples against 16.2 s at 320 rows. A GPU
# wants large batches.
CPU_ROWS = 80
CUDA_ROWS = 4000
# "bf16" runs the forward pass under bfloat16 autocast (docs/MODEL.md has its
# speed and how far it moves forecasts); float32 is exact and the default.
PRECISIONS = ("float32", "bf16")


class Forecaster:
    def __init__(
        self,
        path: Path,
        *,
        source: str,
        device: str = "cpu",
        samples: int = 10,
        seed: int = 0,
        batch_rows: int | None = None,
        threads: int | None = None,
        precision: str = "float32",
    ) -> None:
        path = Path(path)
        if threads:  # only when asked: torch's default suits a machine of its own
            torch.set_num_threads(threads)
        if samples < 1:
            raise ValueError("samples must be at least 1")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}")
        opened = open_weights(path, device)
        self.model, self.config, saved_scaling = opened.model, opened.config, opened.scaling
        self.calibration = checked_calibration(path, opened.calibration, self.config.len_pred)
        if (self.config.len_seq, self.config.len_pred) != (INPUT_STEPS, OUTPUT_STEPS):
            raise ModelError(
                ErrorCode.MODEL_INVALID,
                f"{path} reads {self.config.len_seq} steps and predicts {self.config.len_pred}; "
                f"glurpc windows need {INPUT_STEPS} and {OUTPUT_STEPS}",
            )
        try:
            self.bundle_scaling = Scaling.from_bundle(saved_scaling) if saved_scaling else None
        except (KeyError, ValueError) as error:
            raise ModelError(
                ErrorCode.MODEL_INVALID, f"{path}: bad scaling in bundle: {error}"
            ) from None
        self.scaling = "bundle" if saved_scaling else "fitted_on_upload"
        self.sha256 = opened.sha256  # of the bytes loaded: the model id and the store use it
        self.model_id = f"{path.stem}-{self.sha256[:12]}"
        self.path, self.source, self.device = path, source, device
        self.samples, self.seed, self.precision = samples, seed, precision
        self.parameters = self.model.parameter_count()
        default_rows = CUDA_ROWS if device.startswith("cuda") else CPU_ROWS
        self.batch_rows = batch_rows or max(samples, default_rows)

    def count_batches(self, n_windows: int) -> int:
        return math.ceil(n_windows * self.samples / self.batch_rows)

    def memory(self) -> dict[str, int]:
        usage = {"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
        with open("/proc/self/statm") as statm:
            usage["rss_bytes"] = int(statm.read().split()[1]) * resource.getpagesize()
        if self.device.startswith("cuda"):
            usage["cuda_allocated_bytes"] = torch.cuda.memory_allocated(self.device)
            usage["cuda_peak_allocated_bytes"] = torch.cuda.max_memory_allocated(self.device)
        return usage

    def forecast(
        self,
        series: CgmSeries,
        indices: Sequence[int],
        *,
        skip: Callable[[int], bool] = lambda index: False,
        on_batch: Callable[[int, int], None] | None = None,
    ) -> dict[int, WindowForecast]:
        """Forecasts of the windows not skipped; IndexError before any compute if an
        index is invalid.

        Rows (window x sample) go through the model `batch_rows` at a time; a
        window with more samples than that spans several batches, so `skip` is
        asked between them and an abandoned window stops within one batch."""
        wanted = list(dict.fromkeys(int(index) for index in indices))
        for index in wanted:
            series.input_start(index)
        scaling = self.bundle_scaling or Scaling.fit_on(series)
        plan = RowPlan(wanted, self.samples)
        results: dict[int, WindowForecast] = {}
        done = 0
        while True:
            plan.drop(skip)
            runs = plan.take(self.batch_rows)
            if not runs:
                return results
            means, logvars = self.sample_rows(series, runs, scaling)
            finished = plan.record(runs, means, logvars)
            if finished:
                chunk = list(finished)
                stacked = [finished[index] for index in chunk]
                results.update(
                    self.summarise(
                        series,
                        chunk,
                        scaling,
                        np.stack([m for m, _ in stacked]),
                        np.stack([v for _, v in stacked]),
                    )
                )
            done += 1
            if on_batch is not None:
                on_batch(done, done + math.ceil(plan.rows_left / self.batch_rows))

    def sample_rows(
        self, series: CgmSeries, runs: Sequence[RowRun], scaling: Scaling
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scaled means [rows, 12] and log-variances [rows] for one batch of runs."""
        arrays = window_inputs(series, [run.index for run in runs], scaling, self.config.label_len)
        rows = [(run.index, sample) for run in runs for sample in run.samples()]
        streams = RowStreams.for_rows(self.seed, rows, self.device)
        counts = torch.tensor([run.count for run in runs], device=self.device)
        with torch.inference_mode(), self.model.sampling(streams), self.autocast():
            mean, logvar = self.model(*self.row_tensors(arrays, counts))
        means = mean.float().reshape(len(rows), OUTPUT_STEPS).cpu().numpy()
        if scaling.anchor == "last_input":
            last = np.repeat(arrays.x_enc[:, -1, 0], [run.count for run in runs])
            means = means + last[:, None]
        return means, logvar.float().reshape(len(rows)).cpu().numpy()

    def autocast(self) -> torch.autocast:
        """bfloat16 autocast when asked: matrix products in bf16, the rest float32."""
        device_type = "cuda" if self.device.startswith("cuda") else "cpu"
        return torch.autocast(device_type, torch.bfloat16, enabled=self.precision == "bf16")

    def row_tensors(self, arrays: WindowInputs, counts: torch.Tensor) -> list[torch.Tensor]:
        """Each window repeated once per row it has in the batch, consecutively."""
        tensors = []
        for array in (arrays.x_enc, arrays.x_mark_enc, arrays.x_dec, arrays.x_mark_dec):
            tensor = torch.from_numpy(np.ascontiguousarray(array)).to(self.device)
            tensors.append(tensor.repeat_interleave(counts, dim=0))
        rows = tensors[0].shape[0]
        static = torch.zeros(rows, self.config.num_static_features, device=self.device)
        return [static, *tensors]

    def summarise(
        self,
        series: CgmSeries,
        chunk: Sequence[int],
        scaling: Scaling,
        means: np.ndarray,
        logvars: np.ndarray,
    ) -> dict[int, WindowForecast]:
        target = scaling.target
        scale = float(target.scale[0])
        sample_means = target.inverse(means.astype(np.float64)).transpose(0, 2, 1)  # [W,12,S]
        raw_stds = np.exp(logvars.astype(np.float64) / 2) / scale  # [W, S]
        if self.calibration is None:
            sample_stds = np.repeat(raw_stds[:, None, :], OUTPUT_STEPS, axis=1)
        else:
            centre = mixture_quantiles(sample_means, raw_stds, (0.5,))[:, 0]
            sample_means, sample_stds = self.calibration.apply(centre, sample_means, raw_stds)
        quantiles = mixture_quantiles(sample_means, sample_stds, QUANTILE_LEVELS)
        # A sensor reads 40-400 mg/dL: a quantile beyond it only says Low or High.
        quantiles = np.clip(quantiles, *SENSOR_RANGE)
        middle = QUANTILE_LEVELS.index(0.5)
        out = {}
        for row, index in enumerate(chunk):
            start = series.input_start(index)
            truth = np.full(OUTPUT_STEPS, np.nan, dtype=np.float32)
            known = series.glucose[start + INPUT_STEPS : start + INPUT_STEPS + OUTPUT_STEPS]
            truth[: len(known)] = known
            out[index] = WindowForecast(
                index=index,
                history_times=series.times[start : start + INPUT_STEPS],
                history=series.history(np.array([start]))[0],
                future_times=series.future_times(index),
                truth=truth,
                sample_means=sample_means[row].astype(np.float32),
                sample_stds=sample_stds[row].astype(np.float32),
                median=quantiles[row, middle].astype(np.float32),
                quantiles=quantiles[row].astype(np.float32),
            )
        return out

    @property
    def calibration_name(self) -> str:
        return self.calibration.name if self.calibration else "none"

    @property
    def tag(self) -> str:
        """Everything besides the data that changes this forecaster's numbers."""
        return forecast_tag(self.model_id, self.samples, self.seed, self.precision)

    def facts(self) -> dict[str, Any]:
        """Which model made a forecast, as every forecast and plot reply says it
        (the daemon and the Ray path alike, in this key order)."""
        return {
            "model": self.model_id,
            "seed": self.seed,
            "samples": self.samples,
            "calibration": self.calibration_name,
        }


def checked_calibration(
    path: Path, saved: Mapping[str, Any] | None, steps: int
) -> Calibration | None:
    """The calibration a bundle carries (None for bare checkpoints and older bundles)."""
    if saved is None:
        return None
    try:
        return Calibration.from_bundle(saved, steps)
    except (TypeError, ValueError) as error:
        raise ModelError(ErrorCode.MODEL_INVALID, f"{path}: bad calibration: {error}") from None
