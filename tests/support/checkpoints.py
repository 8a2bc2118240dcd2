"""Random-weight checkpoints for tests and benchmarks (writes one file; never asyncio).

Weights are seeded, so the same call writes the same numbers; nothing is trained.
"""

from __future__ import annotations

from pathlib import Path

import torch

from glurpc_core.model.checkpoint import save_bundle
from glurpc_core.model.inputs import NATURAL_RANGES
from glurpc_core.model.network import PUBLISHED_CONFIG, Gluformer, GluformerConfig

# Fits the series file name rules of resolve/infer_config: heads and activation.
PUBLISHED_LAYOUT_NAME = "gluformer_random_10heads_geluactivation_weights.pth"


def random_model(config: GluformerConfig = PUBLISHED_CONFIG, seed: int = 0) -> Gluformer:
    torch.manual_seed(seed)
    return Gluformer(config).eval()


def save_random_checkpoint(
    path: str | Path, seed: int = 0, config: GluformerConfig = PUBLISHED_CONFIG
) -> Path:
    """A bare GlucoBench-layout state dict (like the published file) at `path`."""
    path = Path(path)
    torch.save(random_model(config, seed).state_dict(), path)
    return path


def save_random_bundle(
    path: str | Path,
    seed: int = 0,
    config: GluformerConfig = PUBLISHED_CONFIG,
    target_anchor: str = "none",
) -> Path:
    """A glurpc bundle with random weights and the fixed 40-400 mg/dL scaler."""
    path = Path(path)
    scaling = {**NATURAL_RANGES, "target_anchor": target_anchor}
    save_bundle(path, random_model(config, seed), scaling, {"trained": False})
    return path
