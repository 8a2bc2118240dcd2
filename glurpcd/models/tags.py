"""What makes two forecasters give different numbers, as one string (pure).

A handle is the digest of a prepared series and this tag (ops/data.py), so
each model, sample count, seed and precision has handles, cache entries and
jobs of its own: one model's results are never served for another's.
"""

from __future__ import annotations

from typing import Any


def forecast_tag(forecaster: Any) -> str:
    tag = f"{forecaster.model_id}|samples={forecaster.samples}|seed={forecaster.seed}"
    if forecaster.precision != "float32":  # other numbers: never served from float32's cache
        tag += f"|precision={forecaster.precision}"
    return tag
