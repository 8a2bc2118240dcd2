"""GPU check for the Gluformer: CUDA matches CPU, and how fast it is.

One prepared run for a machine with CUDA (prints "no CUDA" and exits 0 elsewhere):
1. eval mode (dropout off), published-size random weights, 32 seeded windows:
   CUDA outputs match CPU to 1e-4 with TF32 off; the TF32 difference is reported;
2. seeded MC dropout on CUDA: the same request twice gives the same bytes, and
   batching (10 rows vs 4000 rows per pass) does not change them;
3. timings with a synchronised clock: one window x 10 samples, 110 windows x 10
   samples (an 18-hour file), 1000 windows x 10 samples; peak GPU memory.

    .venv/bin/python -m bench.gpu_check [--device cuda:0]

Exit status 0 when every check passes (or there is no CUDA), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from glurpc_core.model import Forecaster, load_checkpoint
from glurpc_core.series import CgmSeries
from tests.support.checkpoints import save_random_checkpoint

TOLERANCE = 1e-4


def seeded_series(points: int, seed: int = 0) -> CgmSeries:
    rng = np.random.default_rng(seed)
    times = np.datetime64("2024-03-04T05:57:00") + np.arange(points) * np.timedelta64(300, "s")
    glucose = 140 + np.cumsum(rng.normal(0, 2.5, points)) + 35 * np.sin(np.arange(points) / 30)
    return CgmSeries(times, np.clip(glucose, 40, 400).astype(np.float32))


def eval_parity(path: Path, device: str) -> dict:
    generator = torch.Generator().manual_seed(0)
    batch = 32
    inputs = [
        torch.zeros(batch, 1),
        torch.rand(batch, 96, 1, generator=generator),
        torch.rand(batch, 96, 6, generator=generator),
        torch.rand(batch, 44, 1, generator=generator),
        torch.rand(batch, 44, 6, generator=generator),
    ]
    cpu_model, _ = load_checkpoint(path, "cpu")
    gpu_model, _ = load_checkpoint(path, device)
    with torch.inference_mode():
        expected = cpu_model(*inputs)
        out = {}
        for tf32 in (False, True):
            torch.backends.cudnn.allow_tf32 = tf32
            torch.backends.cuda.matmul.allow_tf32 = tf32
            got = gpu_model(*[tensor.to(device) for tensor in inputs])
            diff = max(float((g.cpu() - e).abs().max()) for g, e in zip(got, expected, strict=True))
            out["max_abs_diff_tf32" if tf32 else "max_abs_diff"] = diff
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    out["pass"] = out["max_abs_diff"] <= TOLERANCE
    return out


def same_bytes(one: dict, other: dict) -> bool:
    return all(
        np.array_equal(one[i].sample_means, other[i].sample_means)
        and np.array_equal(one[i].quantiles, other[i].quantiles)
        for i in one
    )


def determinism(path: Path, device: str) -> dict:
    series = seeded_series(217)
    indices = list(range(-109, 13))
    wide = Forecaster(path, source="explicit", device=device, batch_rows=4000)
    narrow = Forecaster(path, source="explicit", device=device, batch_rows=10)
    first = wide.forecast(series, indices)
    again = wide.forecast(series, indices)
    batched = narrow.forecast(series, indices[:12])
    out = {
        "repeat_identical": same_bytes(first, again),
        "batching_identical": same_bytes(batched, {i: first[i] for i in batched}),
    }
    out["pass"] = out["repeat_identical"] and out["batching_identical"]
    return out


def timings(path: Path, device: str) -> dict:
    forecaster = Forecaster(path, source="explicit", device=device)
    jobs = {"one_window": (217, [0]), "110_windows": (217, None), "1000_windows": (1107, None)}
    out: dict = {"batch_rows": forecaster.batch_rows}
    torch.cuda.reset_peak_memory_stats(device)
    for name, (points, indices) in jobs.items():
        series = seeded_series(points)
        indices = indices or list(range(-(series.windows - 1), 1))
        forecaster.forecast(series, indices[:1])
        torch.cuda.synchronize(device)
        began = time.perf_counter()
        forecaster.forecast(series, indices)
        torch.cuda.synchronize(device)
        out[f"{name}_seconds"] = round(time.perf_counter() - began, 4)
    out["peak_cuda_allocated_mib"] = round(torch.cuda.max_memory_allocated(device) / 2**20)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="CUDA vs CPU check and GPU timings")
    parser.add_argument("--device", default="cuda:0")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(f"no CUDA: torch {torch.__version__} sees no GPU here; nothing to check")
        return 0
    print(f"device {args.device}: {torch.cuda.get_device_name(args.device)}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = save_random_checkpoint(Path(folder) / "published_random.pth", seed=3)
        report = {
            "eval_parity": eval_parity(path, args.device),
            "determinism": determinism(path, args.device),
            "timings": timings(path, args.device),
        }
    print(json.dumps(report, indent=1))
    ok = report["eval_parity"]["pass"] and report["determinism"]["pass"]
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
