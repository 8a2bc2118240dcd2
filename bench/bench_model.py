"""Model inference timings on this machine (CPU unless --device says otherwise).

Cases, each in its own process so its peak RSS is its own:
- one: one window x 10 samples, published-size model (random weights);
- batched: all 110 windows of an 18-hour series x 10 samples, samples replicated
  along the batch axis (the Forecaster's way);
- per_sample: the same job as 10 passes, one per sample (same numbers, checked);
- reference: the reference's way (train mode, autograd on, BatchNorm on batch
  statistics, 32 windows x 10 samples per pass), for comparison;
- default: the batched job with the shipped default model.

    .venv/bin/python -m bench.bench_model [--cases one,batched,...] [--device cpu]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from glurpc_core.memory import HeapTrimmer
from glurpc_core.model import Forecaster
from glurpc_core.model.dropout import RowStreams
from glurpc_core.model.inputs import Scaling, window_inputs
from glurpc_core.model.resolve import SHIPPED_DEFAULT
from glurpc_core.series import CgmSeries
from tests.support.checkpoints import save_random_checkpoint

CASES = ("one", "batched", "per_sample", "reference", "default")


def eighteen_hours(seed: int = 0) -> CgmSeries:
    rng = np.random.default_rng(seed)
    times = np.datetime64("2024-03-04T05:57:00") + np.arange(217) * np.timedelta64(300, "s")
    glucose = 140 + np.cumsum(rng.normal(0, 2.5, 217)) + 35 * np.sin(np.arange(217) / 30)
    return CgmSeries(times, glucose.astype(np.float32))


def per_sample_pass(forecaster: Forecaster, series: CgmSeries, indices: list[int]) -> np.ndarray:
    """Sample means [W, S, 12] computed with one forward pass per sample number."""
    scaling = forecaster.bundle_scaling or Scaling.fit_on(series)
    arrays = window_inputs(series, indices, scaling, forecaster.config.label_len)
    tensors = forecaster.row_tensors(arrays, torch.ones(len(indices), dtype=torch.long))
    means = []
    for sample in range(forecaster.samples):
        streams = RowStreams.for_rows(
            forecaster.seed, [(i, sample) for i in indices], forecaster.device
        )
        with torch.inference_mode(), forecaster.model.sampling(streams):
            means.append(forecaster.model(*tensors)[0][..., 0].cpu().numpy())
    return np.stack(means, axis=1)


def same_as_batched(
    forecaster: Forecaster, series: CgmSeries, indices: list[int], means: np.ndarray
) -> bool:
    """Per-sample passes give byte-identical samples to the batched Forecaster."""
    first = indices[:3]
    batched = forecaster.forecast(series, first)
    expected = np.stack([batched[index].sample_means.T for index in first])
    scaling = forecaster.bundle_scaling or Scaling.fit_on(series)
    got = scaling.target.inverse(means[:3].astype(np.float64)).astype(np.float32)
    return bool(np.array_equal(expected, got))


def reference_pass(forecaster: Forecaster, series: CgmSeries, indices: list[int]) -> None:
    """The reference's predict(): train mode, autograd on, 32 windows per pass."""
    arrays = window_inputs(series, indices, Scaling.fit_on(series), forecaster.config.label_len)
    model = forecaster.model.train()
    for begin in range(0, len(indices), 32):
        part = type(arrays)(
            *(getattr(arrays, f)[begin : begin + 32] for f in arrays.__dataclass_fields__)
        )
        counts = torch.full((len(part.x_enc),), forecaster.samples, dtype=torch.long)
        model(*forecaster.row_tensors(part, counts))[0].detach()
    model.eval()


def run_case(case: str, checkpoint: Path, device: str) -> dict:
    if case != "reference":  # the reference service runs with glibc's defaults
        HeapTrimmer()  # the daemon's heap policy: it installs it at start
    path = SHIPPED_DEFAULT if case == "default" else checkpoint
    forecaster = Forecaster(path, source="explicit", device=device)
    series = eighteen_hours()
    indices = [0] if case == "one" else list(range(-(series.windows - 1), 1))
    forecaster.forecast(series, [0])  # warm-up: allocator, kernels
    began = time.perf_counter()
    extra = {}
    if case == "per_sample":
        means = per_sample_pass(forecaster, series, indices)
        elapsed = time.perf_counter() - began
        extra["same_numbers_as_batched"] = same_as_batched(forecaster, series, indices, means)
    elif case == "reference":
        reference_pass(forecaster, series, indices)
        elapsed = time.perf_counter() - began
    else:
        forecaster.forecast(series, indices)
        elapsed = time.perf_counter() - began
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return {
        "case": case,
        "model": forecaster.model_id,
        "parameters": forecaster.parameters,
        "windows": len(indices),
        "samples": forecaster.samples,
        "batch_rows": forecaster.batch_rows,
        "threads": torch.get_num_threads(),
        "seconds": round(elapsed, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        # the machine is shared: timings mean little without its load
        "load_average_1min": round(os.getloadavg()[0], 2),
        **extra,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--one-case", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_case:
        print(json.dumps(run_case(args.one_case, args.checkpoint, args.device)))
        return
    with tempfile.TemporaryDirectory() as folder:
        checkpoint = save_random_checkpoint(Path(folder) / "published_random.pth", seed=3)
        for case in args.cases.split(","):
            command = [
                sys.executable,
                __file__,
                "--one-case",
                case,
                "--checkpoint",
                str(checkpoint),
            ]
            out = subprocess.run(
                command + ["--device", args.device], capture_output=True, text=True
            )
            print(out.stdout.strip() or out.stderr.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
