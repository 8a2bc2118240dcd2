"""Simulated CGM traces for training the shipped default model (training only:
needs the `simglucose` package, MIT licensed, which glurpc never imports at run time).

simglucose implements the UVA/Padova type 1 diabetes simulator with its 30 virtual
patients (10 adolescents, 10 adults, 10 children), a Dexcom sensor noise model
sampling every 3 minutes, an insulin pump, a basal-bolus controller and a random
meal scenario. Each patient is simulated for `days` days from its own start date;
the sensor trace is resampled to the 5-minute grid by linear interpolation.

    .venv/bin/python -m glurpc_train.simulate --days 8 --workers 2 --out /tmp/glurpc-sim.npz
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

GROUPS = ("adolescent", "adult", "child")
FIRST_DAY = datetime(2024, 1, 1)


def patient_names() -> list[str]:
    return [f"{group}#{number:03d}" for group in GROUPS for number in range(1, 11)]


def simulate_patient(name: str, number: int, days: float, seed: int) -> tuple[np.ndarray, ...]:
    """(times datetime64[s] on a 5-min grid, CGM mg/dL float32) for one patient."""
    from simglucose.actuator.pump import InsulinPump
    from simglucose.controller.basal_bolus_ctrller import BBController
    from simglucose.patient.t1dpatient import T1DPatient
    from simglucose.sensor.cgm import CGMSensor
    from simglucose.simulation.env import T1DSimEnv
    from simglucose.simulation.scenario_gen import RandomScenario
    from simglucose.simulation.sim_engine import SimObj

    # Start dates spread over the year so the calendar covariates vary.
    start = FIRST_DAY + timedelta(days=11 * number, minutes=7 * number)
    env = T1DSimEnv(
        T1DPatient.withName(name),
        CGMSensor.withName("Dexcom", seed=seed + number),
        InsulinPump.withName("Insulet"),
        RandomScenario(start_time=start, seed=seed + number),
    )
    run = SimObj(env, BBController(), timedelta(days=days), animate=False, path=None)
    run.simulate()
    results = run.results()
    stamps = results.index.values.astype("datetime64[s]")
    seconds = (stamps - stamps[0]).astype(np.int64)
    grid = np.arange(0, seconds[-1] + 1, 300)
    values = np.interp(grid, seconds, results["CGM"].to_numpy(dtype=np.float64))
    return stamps[0] + grid.astype("timedelta64[s]"), values.astype(np.float32)


def _simulate_one(job: tuple[int, str, float, int]) -> tuple[str, np.ndarray, np.ndarray, float]:
    number, name, days, seed = job
    began = time.monotonic()
    times, values = simulate_patient(name, number, days, seed)
    return name, times, values, time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description="Simulate CGM traces with simglucose")
    parser.add_argument("--days", type=float, default=2.0)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--workers", type=int, default=1, help="patients simulated at once")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    jobs = [(number, name, args.days, args.seed) for number, name in enumerate(patient_names())]
    arrays: dict[str, np.ndarray] = {}
    # Each patient's trace depends only on its own seeds, so the result does not
    # depend on --workers.
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        for name, times, values, seconds in pool.imap(_simulate_one, jobs):
            arrays[f"{name}/times"] = times
            arrays[f"{name}/glucose"] = values
            print(f"{name}: {len(values)} points in {seconds:.0f} s", flush=True)
    np.savez(args.out, **arrays)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
