"""Example counts for the fuzz suite: CI-sized by default (about 100,000
inputs in all, a few tens of seconds); GLURPC_FUZZ_SCALE=N multiplies every
count for a long run (docs/FUZZING.md)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

SCALE = max(1, int(os.environ.get("GLURPC_FUZZ_SCALE", "1")))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples * SCALE,
        deadline=None,
        derandomize=SCALE == 1,  # CI: the same inputs every run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
