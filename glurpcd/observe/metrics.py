"""Small bounded statistics for `status` (no I/O, no asyncio)."""

from __future__ import annotations

from collections import deque


class LatencyWindow:
    """The most recent `size` durations (seconds), for percentiles in ms."""

    def __init__(self, size: int = 1024) -> None:
        self._samples: deque[float] = deque(maxlen=size)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)

    def __len__(self) -> int:
        return len(self._samples)

    def percentile_ms(self, percent: float) -> float | None:
        if not self._samples:
            return None
        ordered = sorted(self._samples)
        rank = min(len(ordered) - 1, max(0, round(percent / 100 * (len(ordered) - 1))))
        return ordered[rank] * 1000.0
