"""What a weights file says about itself, without building the model (pure
compute plus reading one file; never asyncio).

For `glurpc models`: the parameter count, the calibration, the layout and,
for a glurpc bundle, its card (the `meta` map its training wrote: training
data, recipe, metrics, intended use). The file is memory-mapped and read
with `weights_only=True`, so listing a store of large checkpoints costs
little and can never run code. A file that does not read says why in
`problem`; serving it would fail the same way (checkpoint.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from glurpc_core.model.checkpoint import BUNDLE_FORMAT, POSITION_TABLES

# State-dict entries that are buffers, not parameters (BatchNorm statistics).
_BUFFER_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


def parameter_count(state: Mapping[str, Any]) -> int:
    """The count `Gluformer.parameter_count` gives once the state is loaded."""
    return sum(
        int(value.numel())
        for key, value in state.items()
        if isinstance(value, torch.Tensor)
        and value.is_floating_point()
        and key not in POSITION_TABLES
        and not key.endswith(_BUFFER_SUFFIXES)
    )


def read_card(path: Path) -> dict[str, Any]:
    """{"layout", "parameters", "calibration", "card", "problem"} of the file at `path`."""
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # torch raises many types for a damaged zip or pickle
        return _unreadable(f"not a readable weights file: {str(exc).splitlines()[0]}")
    if not isinstance(raw, Mapping):
        return _unreadable(f"holds a {type(raw).__name__}, not a state dict")
    if raw.get("format") == BUNDLE_FORMAT:
        state = raw.get("state_dict")
        calibration = raw.get("calibration")
        meta = raw.get("meta")
        return {
            "layout": "bundle",
            "parameters": parameter_count(state) if isinstance(state, Mapping) else None,
            "calibration": _calibration_name(calibration),
            "card": dict(meta) if isinstance(meta, Mapping) else None,
            "problem": None,
        }
    return {
        "layout": "state_dict",
        "parameters": parameter_count(raw),
        "calibration": "none",
        "card": None,
        "problem": None,
    }


def _calibration_name(saved: Any) -> str:
    if isinstance(saved, Mapping) and isinstance(saved.get("method"), str):
        return str(saved["method"])
    return "none"


def _unreadable(problem: str) -> dict[str, Any]:
    return {
        "layout": None,
        "parameters": None,
        "calibration": None,
        "card": None,
        "problem": problem,
    }
