"""Lifecycle benchmark: how fast abandoned work stops, and what a Ctrl-C costs.

Reports, for a real daemon on this machine:
- disconnect-to-abandon latency of queued jobs and of running jobs, as the
  daemon measures it (last detach -> job dropped or stopped at a checkpoint)
  and as a client sees it (close -> `jobs.abandoned` counts it);
- CPU seconds the daemon spends after a client forecasting every window of an
  18-hour file goes away mid-job (Ctrl-C), next to the CPU seconds of the
  whole job (what the reference service spends, since it never stops).

Usage: .venv/bin/python -m bench.bench_lifecycle [--model PATH] [--samples N]
A published-size model with random weights is used unless --model is given.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from tests.integration.daemons import launch
from tests.integration.samples import (
    cgm_csv,
    cpu_seconds,
    published_size_checkpoint,
)

WINDOWS_18H = 110


def wait_status(conn, condition):
    while True:
        status = conn.call("status")["data"]
        if condition(status):
            return status
        time.sleep(0.002)  # a benchmark may poll; tests never do


def queued_abandon_latency(daemon, handle, rounds):
    """Park requests behind a running job, close them, time the drop."""
    seen = []
    with daemon.connect() as observer, daemon.connect() as blocker:
        blocker_id = blocker.request("forecast", {"handle": handle, "index": -100})
        for n in range(rounds):
            with daemon.connect() as client:
                client.request("forecast", {"handle": handle, "index": -(n % 90)})
                while client.receive()["stage"] != "queued":
                    pass
                before = observer.call("status")["data"]["jobs"]["abandoned"]
                start = time.perf_counter()
            wait_status(observer, lambda s, b=before: s["jobs"]["abandoned"] > b)
            seen.append(time.perf_counter() - start)
        blocker.final(blocker_id)
        latency = observer.call("status")["data"]["latency_ms"]
    return seen, latency


def running_abandon_latency(daemon, handle, rounds):
    seen = []
    with daemon.connect() as observer:
        for n in range(rounds):
            with daemon.connect() as client:
                client.request("forecast", {"handle": handle, "index": -(n + 1)})
                while (frame := client.receive())["stage"] != "inference" or frame["done"] < 1:
                    pass
                before = observer.call("status")["data"]["jobs"]["abandoned"]
                start = time.perf_counter()
            wait_status(observer, lambda s, b=before: s["jobs"]["abandoned"] > b)
            seen.append(time.perf_counter() - start)
        latency = observer.call("status")["data"]["latency_ms"]
    return seen, latency


def ctrl_c_cost(daemon, handle, interrupt):
    """Forecast every window over one connection; drop it after the first
    batch when `interrupt`. Returns daemon CPU seconds until idle."""
    pid = daemon.process.pid
    with daemon.connect() as observer:
        client = daemon.connect()
        ids = [
            client.request("forecast", {"handle": handle, "index": -i}) for i in range(WINDOWS_18H)
        ]
        start_cpu = cpu_seconds(pid)
        if interrupt:
            while (frame := client.receive())["stage"] != "inference" or frame["done"] < 1:
                pass
            start_cpu = cpu_seconds(pid)
            client.close()
        else:
            for _ in ids:  # finals arrive in completion order
                client.final()
            client.close()
        wait_status(observer, lambda s: s["jobs"]["running"] == 0 and s["jobs"]["queued"] == 0)
        return cpu_seconds(pid) - start_cpu


def ms(values):
    return f"p50 {statistics.median(values) * 1000:7.2f} ms  max {max(values) * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint (default: published size, random weights)")
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        model = args.model or str(published_size_checkpoint(base / "published.pth"))
        common = ["--model", model, "--precompute-hours", "0", "--render-workers", "0"]
        csv = cgm_csv(hours=18 + 1, seed=5)
        results = {}
        # Latency: 200 samples in batches of 20 rows, so a running window's
        # inference passes 10 checkpoints. Ctrl-C: the service's usual shape.
        latency_shape = ["--samples", "200", "--batch-rows", "20"]
        ctrl_c_shape = ["--samples", str(args.samples)]
        # A fresh daemon (empty cache) for each case.
        for label, extra in [
            ("latency", latency_shape),
            ("full", ctrl_c_shape),
            ("interrupted", ctrl_c_shape),
        ]:
            daemon = launch(base / label / "s.sock", base / label / "state", *common, *extra)
            try:
                with daemon.connect() as conn:
                    handle = conn.call("process", {"csv": csv})["data"]["handle"]
                if label == "latency":
                    results["queued"] = queued_abandon_latency(daemon, handle, args.rounds)
                    results["running"] = running_abandon_latency(daemon, handle, args.rounds)
                else:
                    interrupt = label == "interrupted"
                    results[label] = ctrl_c_cost(daemon, handle, interrupt=interrupt)
            finally:
                daemon.stop()
    print(f"model: {args.model or 'published size (random weights)'}; samples {args.samples}")
    for kind in ("queued", "running"):
        client_view, daemon_view = results[kind]
        print(
            f"disconnect->abandon, {kind:7s} jobs: client view {ms(client_view)}; daemon "
            f"p50 {daemon_view['disconnect_to_abandon_p50']:.2f} ms "
            f"p99 {daemon_view['disconnect_to_abandon_p99']:.2f} ms"
        )
    print(
        f"CPU seconds, full {WINDOWS_18H}-window forecast job : {results['full']:6.2f} s "
        "(what the reference service always spends)"
    )
    print(
        f"CPU seconds after Ctrl-C at the first batch     : {results['interrupted']:6.2f} s"
        " (at most the forward pass in flight)"
    )


if __name__ == "__main__":
    main()
