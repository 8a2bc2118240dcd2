"""Seeded Monte Carlo dropout (pure compute: torch only, no I/O, never asyncio).

GlucoBench's Gluformer samples its forecast distribution by running with dropout
on. Plain `nn.Dropout` draws one mask for the whole batch from the global RNG, so a
window's numbers would depend on which other windows share its forward pass. Here
every row of the batch (one window x one sample) owns a `torch.Generator` seeded
from (seed, window index, sample number), and each dropout site draws that row's
mask from it, in the fixed order of the forward pass. A row's forecast therefore
depends on its own key only, never on the batch it travels in.

The module holds no parameters, so swapping it for `nn.Dropout` leaves the state
dict unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def row_seed(seed: int, index: int, sample: int) -> int:
    """A 63-bit generator seed for one (window, sample) row, stable across runs."""
    digest = hashlib.blake2b(f"{seed}:{index}:{sample}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") & ((1 << 63) - 1)


class RowStreams:
    """One random stream per batch row, on the device the model runs on."""

    def __init__(self, seeds: Sequence[int], device: torch.device | str) -> None:
        self.device = torch.device(device)
        self.generators = []
        for seed in seeds:
            generator = torch.Generator(device=self.device)
            generator.manual_seed(seed)
            self.generators.append(generator)

    @classmethod
    def for_rows(
        cls, seed: int, rows: Sequence[tuple[int, int]], device: torch.device | str
    ) -> RowStreams:
        """Streams for rows given as (window index, sample number)."""
        return cls([row_seed(seed, index, sample) for index, sample in rows], device)

    def __len__(self) -> int:
        return len(self.generators)

    def keep_mask(self, shape: torch.Size, p: float, dtype: torch.dtype) -> torch.Tensor:
        """Inverted-dropout multipliers: 0 where dropped, 1/(1-p) where kept."""
        if shape[0] != len(self.generators):
            raise ValueError(f"batch of {shape[0]} rows but {len(self.generators)} streams")
        uniform = torch.empty(shape, dtype=dtype, device=self.device)
        for row, generator in enumerate(self.generators):
            uniform[row].uniform_(generator=generator)
        return uniform.ge_(p).mul_(1.0 / (1.0 - p))


class McDropout(nn.Module):
    """Dropout that trains like `nn.Dropout`, is off in eval mode, and in eval mode
    with row streams attached draws per-row seeded masks (MC dropout)."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = float(p)
        self.streams: RowStreams | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            return F.dropout(x, self.p, True)
        if self.streams is None or self.p == 0.0:
            return x
        return x * self.streams.keep_mask(x.shape, self.p, x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"
