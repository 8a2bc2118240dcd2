"""Models as named resources: what switching between resident models costs,
and what a cold load costs beside `torch.load` of the same file.

Reports, for a real daemon serving two published-size models from its store
(random, seeded weights) beside its default:
- switching: one uncached window a request, the two models asked in the
  order A A B B A A ..., so each request that switches model is followed at
  once by one that stays on it. The median of those adjacent pairs'
  differences, with a 95 % bootstrap interval, is what a switch costs beyond
  the forward pass; pairing cancels the drift of a shared machine's load;
- a cold load: the first request naming a model (load job, then the
  forecast) beside the next request to it (the forecast alone);
- in this process, on the same file: the daemon's loader (`Forecaster`),
  `torch.load(weights_only=True)` alone, and the loader's steps.

Usage: .venv/bin/python -m bench.bench_models [--rounds N] [--samples N]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from glurpc_core.model import Forecaster
from glurpc_core.model.checkpoint import (
    _all_finite,
    build_model,
    infer_config,
    read_weights_and_digest,
    read_weights_file,
)
from tests.integration.daemons import QUIET, RawConnection, launch
from tests.integration.samples import cgm_csv
from tests.support.checkpoints import save_random_checkpoint

MODELS = ("first", "second")


def timed_forecast(conn: RawConnection, args: dict) -> float:
    started = time.perf_counter()
    reply = conn.call("forecast", args)
    assert reply["type"] == "result", reply
    return (time.perf_counter() - started) * 1000


def switch_pairs(conn: RawConnection, ask: dict, rounds: int) -> list[tuple[float, float]]:
    """(switching request ms, staying request ms) per round, models in the
    order A A B B ...: the request before each round's first named the other
    model. Every request is a window no model has forecast yet."""
    pairs = []
    for round_number in range(rounds):
        name = MODELS[round_number % 2]
        switching, staying = (
            timed_forecast(conn, {**ask, "model": name, "index": -(2 + 2 * round_number + k)})
            for k in range(2)
        )
        pairs.append((switching, staying))
    return pairs


def median_interval(values: np.ndarray, draws: int = 2000) -> tuple[float, float]:
    """95 % bootstrap interval of the median (seeded: the same data, the same bounds)."""
    picks = np.random.default_rng(0).integers(0, len(values), (draws, len(values)))
    low, high = np.percentile(np.median(values[picks], axis=1), [2.5, 97.5])
    return float(low), float(high)


def in_process(path: Path, repeats: int) -> dict[str, float]:
    def median_ms(action) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            action()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    raw = read_weights_file(path)
    data = path.read_bytes()
    config = infer_config(raw, path.name)
    floating = [value for value in raw.values() if value.is_floating_point()]
    return {
        "torch.load(weights_only) of the file": median_ms(
            lambda: torch.load(path, map_location="cpu", weights_only=True)
        ),
        "Forecaster (the daemon's loader)": median_ms(lambda: Forecaster(path, source="store")),
        "  its steps: read the file": median_ms(path.read_bytes),
        "    sha256 of the bytes (the model id)": median_ms(lambda: hashlib.sha256(data)),
        "    read, unpickle and sha256 together": median_ms(lambda: read_weights_and_digest(path)),
        "  then: the network, holding the tensors": median_ms(
            lambda: build_model(raw, config, "bench", "cpu")
        ),
        "    of which the finiteness check": median_ms(
            lambda: [_all_finite(value) for value in floating]
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        store = base / "models"
        store.mkdir(mode=0o700)
        for seed, name in enumerate(MODELS, start=3):
            save_random_checkpoint(store / f"{name}.pth", seed=seed)
        size_mb = (store / "first.pth").stat().st_size / 1e6
        daemon = launch(
            base / "run" / "glurpcd.sock",
            base / "state",
            "--models-dir",
            str(store),
            "--samples",
            str(args.samples),
            *QUIET,
        )
        try:
            with daemon.connect() as conn:
                upload = cgm_csv(hours=8 + 2 * args.rounds + 4, seed=4)
                handle = conn.call("process", {"csv": upload})["data"]["handle"]
                ask = {"handle": handle}
                cold = {
                    name: timed_forecast(conn, {**ask, "model": name, "index": 0})
                    for name in MODELS
                }
                warm = {name: timed_forecast(conn, {**ask, "model": name, "index": 1})
                        for name in MODELS}  # fmt: skip
                pairs = np.array(switch_pairs(conn, ask, args.rounds))
                resident = [e["name"] for e in conn.call("status")["data"]["models"]["resident"]]
        finally:
            daemon.stop()
        loads = in_process(store / "first.pth", repeats=5)
    switching, staying = np.median(pairs, axis=0)
    cost = pairs[:, 0] - pairs[:, 1]
    low, high = median_interval(cost)
    print(
        f"two published-size models ({size_mb:.1f} MB each) resident beside the default: {resident}"
    )
    print(
        f"one uncached window a request, {args.samples} samples, {args.rounds} rounds of "
        "(a request that switches model, then one that stays), median"
    )
    print(f"  a request that switches model       {switching:8.1f} ms")
    print(f"  the next, on the same model         {staying:8.1f} ms")
    print(
        f"  switch cost (paired difference)     {float(np.median(cost)):8.1f} ms   "
        f"95 % interval {low:+.1f} to {high:+.1f} ms (target: holds 0)"
    )
    print("cold load through the daemon (first request to a model, then the next)")
    for name in MODELS:
        print(
            f"  {name:<7} cold {cold[name]:8.1f} ms   warm {warm[name]:8.1f} ms"
            f"   load ~{cold[name] - warm[name]:8.1f} ms"
        )
    print("in this process, the same file, median of 5")
    for label, ms in loads.items():
        print(f"  {label:<42} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
