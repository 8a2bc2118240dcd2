"""Issue 22's target check on a constructed `evaluate` report."""

from __future__ import annotations

from glurpc_train.eval_targets import high_bias, targets

STEPS = 12


def flat(value: float) -> list[float]:
    return [value] * STEPS


def report() -> dict:
    ranges = {
        "<70": {"points": flat(0), "bias": {"model": flat(0.0), "persistence": flat(0.0)}},
        "70-180": {"points": flat(90), "bias": {"model": flat(1.0), "persistence": flat(0.0)}},
        "180-250": {"points": flat(3), "bias": {"model": flat(-10.0), "persistence": flat(-6.0)}},
        ">250": {"points": flat(1), "bias": {"model": flat(-30.0), "persistence": flat(-2.0)}},
    }
    group = {
        "label": "a.csv",
        "ratio_to_persistence": {"model": {"rmse": flat(0.8)}},
        "coverage": {"90": flat(0.9), "50": flat(0.5)},
        "by_range": ranges,
    }
    return {"horizons_min": list(range(5, 61, 5)), "sources": [group], "pooled": group}


def test_bias_above_180_weights_the_two_high_ranges_by_their_points() -> None:
    pooled = report()["pooled"]
    assert high_bias(pooled, "model", 5) == (3 * -10.0 + 1 * -30.0) / 4  # -15
    assert high_bias(pooled, "persistence", 5) == (3 * -6.0 + 1 * -2.0) / 4  # -5


def test_each_target_is_judged() -> None:
    verdicts = {name: met for name, met, _, _ in targets(report())}
    assert verdicts["RMSE vs persistence, 30 min"] and verdicts["RMSE vs persistence, 60 min"]
    assert verdicts["90 % band coverage, every horizon"]
    assert not verdicts["mean error for truth >= 180, every horizon"]  # |-15| > |-5|
