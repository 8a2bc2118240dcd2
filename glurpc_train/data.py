"""Training data on disk: simulated traces written by `simulate.py` and the
patient-level split (pure: numpy only)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from glurpcd.series import CgmSeries

VALIDATION = ("#008",)
HELD_OUT = ("#009", "#010")


def load_traces(path: Path) -> dict[str, CgmSeries]:
    with np.load(path) as arrays:
        names = sorted({key.split("/")[0] for key in arrays.files})
        return {
            name: CgmSeries(arrays[f"{name}/times"], arrays[f"{name}/glucose"]) for name in names
        }


def split(traces: dict[str, CgmSeries]) -> tuple[list[str], list[str], list[str]]:
    held = [name for name in traces if name.endswith(HELD_OUT)]
    valid = [name for name in traces if name.endswith(VALIDATION)]
    train = [name for name in traces if name not in held and name not in valid]
    return train, valid, held
