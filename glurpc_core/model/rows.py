"""Which (window, sample) rows go into the next forward pass (pure bookkeeping).

Layer: model, no torch. A window's S samples are rows; a batch takes up to
`batch_rows` of them in order, so a window can span batches. Rows of a
window its caller abandons are dropped before the next batch, and its partial
samples are thrown away with them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RowRun:
    """Samples first .. first + count - 1 of one window, contiguous in a batch."""

    index: int
    first: int
    count: int

    def samples(self) -> range:
        return range(self.first, self.first + self.count)


class RowPlan:
    def __init__(self, indices: Sequence[int], samples: int) -> None:
        self.samples = samples
        self._next_sample = dict.fromkeys(indices, 0)  # insertion order = batch order
        self._partial: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}

    @property
    def rows_left(self) -> int:
        return sum(self.samples - first for first in self._next_sample.values())

    def drop(self, skip: Callable[[int], bool]) -> None:
        for index in [index for index in self._next_sample if skip(index)]:
            del self._next_sample[index]
            self._partial.pop(index, None)

    def take(self, batch_rows: int) -> list[RowRun]:
        runs, room = [], batch_rows
        for index, first in self._next_sample.items():
            if room == 0:
                break
            count = min(room, self.samples - first)
            if count:
                runs.append(RowRun(index, first, count))
                room -= count
        for run in runs:
            self._next_sample[run.index] = run.first + run.count
        return runs

    def record(
        self, runs: Sequence[RowRun], means: np.ndarray, logvars: np.ndarray
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Store a batch's rows; return the windows now complete as
        (means [S, 12], logvars [S])."""
        finished = {}
        offset = 0
        for run in runs:
            rows = slice(offset, offset + run.count)
            offset += run.count
            self._partial.setdefault(run.index, []).append((means[rows], logvars[rows]))
            if self._next_sample[run.index] == self.samples:
                parts = self._partial.pop(run.index)
                del self._next_sample[run.index]
                finished[run.index] = (
                    np.concatenate([m for m, _ in parts]),
                    np.concatenate([v for _, v in parts]),
                )
        return finished
