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
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

DRAW_LEVELS = 1 << 16
DRAW_LOW = -(1 << 15)  # the smallest int16


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

    def keep_mask(self, shape: torch.Size, p: float) -> torch.Tensor:
        """True where an element is kept (probability 1 - p), row by row.

        Each decision reads 16 random bits: a 64-bit draw gives four, half the
        generator work of one float per element. The drop probability is thus p
        rounded to a multiple of 1/65536 (0.2 becomes 0.199997)."""
        if shape[0] != len(self.generators):
            raise ValueError(f"batch of {shape[0]} rows but {len(self.generators)} streams")
        per_row = math.prod(shape[1:])
        words = torch.empty((shape[0], -(-per_row // 4)), dtype=torch.int64, device=self.device)
        for row, generator in enumerate(self.generators):
            words[row].random_(-(2**63), None, generator=generator)
        draws = words.view(torch.int16)[:, :per_row]
        return (draws >= DRAW_LOW + round(p * DRAW_LEVELS)).view(shape)


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
        # x * (1 / (1 - p)) where kept: the same products as nn.Dropout's.
        keep = self.streams.keep_mask(x.shape, self.p)
        return torch.where(keep, x * (1.0 / (1.0 - self.p)), 0.0)

    def extra_repr(self) -> str:
        return f"p={self.p}"
