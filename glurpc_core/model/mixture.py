"""Quantiles of a Gaussian mixture (pure compute: numpy and torch.special, no I/O).

Each MC-dropout sample gives a Gaussian per step (its mean, and a std: one shared
by all steps, or one per step once calibrated). The predictive distribution is
their equal-weight mixture; its quantiles have no closed form, so they are found
by bisection on the mixture CDF, vectorised over windows, levels and steps.
Bisection from a common bracket keeps quantiles of increasing levels ordered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

BISECTION_STEPS = 40  # a bracket of 1e3 mg/dL ends 1e-9 wide: below float32 resolution


def mixture_quantiles(means: np.ndarray, stds: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """means [W, T, S], stds [W, S] or [W, T, S] -> quantiles [W, len(levels), T] (float64)."""
    mu = torch.as_tensor(np.asarray(means, dtype=np.float64))  # [W, T, S]
    sigma = torch.as_tensor(np.asarray(stds, dtype=np.float64))
    sigma = sigma[:, None, None, :] if sigma.ndim == 2 else sigma[:, None]  # [W, 1, 1|T, S]
    target = torch.as_tensor(np.asarray(levels, dtype=np.float64))[None, :, None]  # [1, L, 1]
    spread = 10.0 * sigma.amax(dim=-1)  # [W, 1, 1|T]
    low = (mu.amin(dim=-1)[:, None, :] - spread).expand(-1, len(levels), -1).clone()
    high = (mu.amax(dim=-1)[:, None, :] + spread).expand(-1, len(levels), -1).clone()
    centred = mu[:, None, :, :]  # [W, 1, T, S]
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        cdf = torch.special.ndtr((middle[..., None] - centred) / sigma).mean(dim=-1)
        below = cdf < target
        low = torch.where(below, middle, low)
        high = torch.where(below, high, middle)
    return ((low + high) / 2).numpy()
