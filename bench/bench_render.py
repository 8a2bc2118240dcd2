"""Render benchmark: milliseconds per PNG and plots per second through RenderPool.

Run from the repository root: `.venv/bin/python -m bench.bench_render [--plots N] [--json]`.
Reports the median time per PNG for a fresh figure per plot, for the prepared
(reused) figure and for its Agg draw alone, then the throughput of RenderPool
with 1 and 2 worker processes (workers warmed up first, so start-up is not
counted). Numbers depend on the load of the machine: other processes on the
same cores lower the pool's scaling.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

from glurpc_core.forecast import WindowForecast
from glurpc_core.render import render_forecast
from glurpc_core.render.figure import ForecastFigure, house_style
from glurpc_core.render.layout import plot_content
from glurpcd.engine.render_pool import RenderPool
from tests.render.forecasts import make_forecast

MODEL_ID = "gluformer-bench"


def median_ms(action: Callable[[], object], repeats: int) -> float:
    action()  # first call loads fonts and caches; not what a warm worker pays
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def per_plot_costs(forecasts: list[WindowForecast], repeats: int) -> dict[str, float]:
    figure = ForecastFigure()
    figure.warm_up()
    turn = iter(range(10**9))

    def next_forecast() -> WindowForecast:
        return forecasts[next(turn) % len(forecasts)]

    def agg_draw() -> None:
        with house_style():
            figure._update(plot_content(next_forecast(), MODEL_ID))
            figure._canvas.draw()

    costs = {
        "fresh_figure_png_ms": median_ms(
            lambda: render_forecast(next_forecast(), model_id=MODEL_ID), repeats
        ),
        "agg_draw_only_ms": median_ms(agg_draw, repeats),
    }
    for fmt in ("png", "svg", "pdf"):
        costs[f"prepared_figure_{fmt}_ms"] = median_ms(
            lambda fmt=fmt: render_forecast(
                next_forecast(), fmt=fmt, model_id=MODEL_ID, figure=figure
            ),
            repeats,
        )
    return costs


def pool_throughput(forecasts: list[WindowForecast], workers: int, plots: int) -> float:
    with RenderPool(workers=workers) as pool:
        warm = [pool.submit(f, fmt="png", model_id=MODEL_ID) for f in forecasts[: 2 * workers]]
        for future in warm:
            future.result()
        start = time.perf_counter()
        futures = [
            pool.submit(forecasts[i % len(forecasts)], fmt="png", model_id=MODEL_ID)
            for i in range(plots)
        ]
        for future in futures:
            future.result()
        return plots / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=60, help="plots per pool measurement")
    parser.add_argument("--repeats", type=int, default=20, help="timed renders per cost")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    forecasts = [make_forecast(seed=s, index=s % 13) for s in range(16)]
    report: dict[str, object] = {"cpu_count": os.cpu_count()}
    report.update(per_plot_costs(forecasts, args.repeats))
    rates = {str(n): pool_throughput(forecasts, n, args.plots) for n in args.workers}
    report["pool_plots_per_s"] = rates
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        if key.endswith("_ms"):
            print(f"{key:28s} {value:7.1f} ms")
    for workers, rate in rates.items():
        print(f"pool, {workers} worker(s){'':12s} {rate:7.1f} plots/s")
    print(f"cpu_count                    {report['cpu_count']}")


if __name__ == "__main__":
    main()
