"""Models as named resources: what switching between resident models costs,
and what a cold load costs beside `torch.load` of the same file.

Reports, for a real daemon serving two published-size models from its store
(random, seeded weights) beside its default:
- switching: per-request time of one uncached window, asked of one model
  every time, and asked of the two models in turn (both resident); rounds
  interleave the two schemes, so machine load falls on both alike. The
  difference is what a switch costs beyond the forward pass;
- a cold load: the first request naming a model (load job, then the
  forecast) beside the next request to it (the forecast alone);
- in this process, on the same file: the daemon's loader (`Forecaster`),
  `torch.load(weights_only=True)` alone, and the loader's other steps:
  building the network, loading the state into it, the finiteness check and
  the SHA-256 the model id needs.

Usage: .venv/bin/python -m bench.bench_models [--rounds N] [--samples N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from glurpc_core.model import Forecaster, Gluformer
from glurpc_core.model.checkpoint import _all_finite, infer_config, read_weights_file
from glurpc_core.model.forecaster import weights_digest
from tests.integration.daemons import QUIET, launch
from tests.integration.samples import cgm_csv
from tests.support.checkpoints import save_random_checkpoint


def timed_forecast(conn, args):
    started = time.perf_counter()
    reply = conn.call("forecast", args)
    assert reply["type"] == "result", reply
    return (time.perf_counter() - started) * 1000


def in_process(path: Path, repeats: int) -> dict[str, float]:
    def best_ms(action) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            action()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)

    raw = read_weights_file(path)
    config = infer_config(raw, path.name)
    built = Gluformer(config)
    return {
        "Forecaster (the daemon's loader)": best_ms(lambda: Forecaster(path, source="store")),
        "  its steps: torch.load(weights_only)": best_ms(
            lambda: torch.load(path, map_location="cpu", weights_only=True)
        ),
        "  then: build the network": best_ms(lambda: Gluformer(config)),
        "  then: load_state_dict": best_ms(lambda: built.load_state_dict(raw, strict=True)),
        "  then: finiteness check": best_ms(
            lambda: [_all_finite(v) for v in raw.values() if v.is_floating_point()]
        ),
        "  then: sha256 (the model id)": best_ms(lambda: weights_digest(path)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        store = base / "models"
        store.mkdir(mode=0o700)
        for name, seed in (("first", 3), ("second", 4)):
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
                upload = cgm_csv(hours=8 + 4 * args.rounds + 2, seed=4)
                handle = conn.call("process", {"csv": upload})["data"]["handle"]
                ask = {"handle": handle}
                cold = {
                    name: timed_forecast(conn, {**ask, "model": name, "index": 0})
                    for name in ("first", "second")
                }
                warm = {
                    name: timed_forecast(conn, {**ask, "model": name, "index": -1})
                    for name in ("first", "second")
                }
                same, alternating = [], []
                index = 2
                for _ in range(args.rounds):
                    for _ in range(2):
                        same.append(
                            timed_forecast(conn, {**ask, "model": "first", "index": -index})
                        )
                        index += 1
                    for name in ("first", "second"):
                        alternating.append(
                            timed_forecast(conn, {**ask, "model": name, "index": -index})
                        )
                        index += 1
                resident = [e["name"] for e in conn.call("status")["data"]["models"]["resident"]]
        finally:
            daemon.stop()
        loads = in_process(store / "first.pth", repeats=3)
    same_ms, alternating_ms = statistics.median(same), statistics.median(alternating)
    print(
        f"two published-size models ({size_mb:.1f} MB each) resident beside the default: {resident}"
    )
    print(
        f"one uncached window a request, {args.samples} samples, "
        f"{2 * args.rounds} requests each, median"
    )
    print(f"  one model every request           {same_ms:8.1f} ms")
    print(f"  two models in turn                {alternating_ms:8.1f} ms")
    print(f"  switch cost (difference)          {alternating_ms - same_ms:8.1f} ms   (target ~0)")
    print("cold load through the daemon (first request to a model, then the next)")
    for name in ("first", "second"):
        print(
            f"  {name:<7} cold {cold[name]:8.1f} ms   warm {warm[name]:8.1f} ms"
            f"   load ~{cold[name] - warm[name]:8.1f} ms"
        )
    print("in this process, the same file, median of 3")
    for label, ms in loads.items():
        print(f"  {label:<38} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
