"""Predictive density per forecast step and the fan outline drawn for it (pure numpy).

Each Monte Carlo sample s of step h is a Gaussian N(mean[h, s], std^2), with std[s]
or, once calibrated, std[h, s]; the predictive density of step h is their
equal-weight mixture. This module turns it into polygons; it must never import
matplotlib, asyncio or torch.
"""

from __future__ import annotations

import numpy as np

_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def mixture_density(
    sample_means: np.ndarray, sample_stds: np.ndarray, grid: np.ndarray, min_std: float = 0.0
) -> np.ndarray:
    """Density [H, G] of each step's Gaussian mixture at the glucose values `grid` [G].

    `min_std` widens samples narrower than the grid can show, so that a very sure
    forecast still draws a visible (if thin) fan instead of vanishing between
    grid points.
    """
    means = np.asarray(sample_means, dtype=np.float64)[:, :, None]
    stds = np.maximum(np.asarray(sample_stds, dtype=np.float64), min_std)
    stds = stds[None, :, None] if stds.ndim == 1 else stds[:, :, None]  # [1|H, S, 1]
    z = (np.asarray(grid, dtype=np.float64)[None, None, :] - means) / stds
    pdf = np.exp(-0.5 * z * z) * (_INV_SQRT_2PI / stds)
    return pdf.mean(axis=1)


def fan_outline(
    density: np.ndarray, grid: np.ndarray, centre: float, half_width: float, floor: float = 0.01
) -> np.ndarray:
    """Closed outline [N, 2] of (x, glucose) for one step's density, mirrored about `centre`.

    The widest point spans `half_width` on each side; tails below `floor` times the
    peak are cut so the polygon stays small. A density that is zero on the whole
    grid (all mass outside the axes) gives an empty outline.
    """
    peak = float(density.max()) if density.size else 0.0
    if not peak > 0.0:
        return np.empty((0, 2))
    kept = np.flatnonzero(density >= floor * peak)
    span = slice(kept[0], kept[-1] + 1)
    width = density[span] / peak * half_width
    ys = grid[span]
    xs = np.concatenate((centre - width, (centre + width)[::-1]))
    return np.column_stack((xs, np.concatenate((ys, ys[::-1]))))
