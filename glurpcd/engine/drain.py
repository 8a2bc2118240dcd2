"""How fast a queue actually drains, for `overloaded`'s `retry_after` advice.

Layer: engine helper (event loop only). The advice is the queued count over
the rate at which workers took jobs recently (the last `window` departures
within `horizon_s`), so a queue of cheap cached renders advises seconds and a
queue of model runs advises minutes. With no recent history it falls back to
one second per queued job.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

MIN_ADVICE_S = 0.5
MAX_ADVICE_S = 300.0


class DrainRate:
    def __init__(
        self,
        window: int = 64,
        horizon_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._departures: deque[float] = deque(maxlen=window)
        self._horizon_s = horizon_s
        self._clock = clock

    def record(self) -> None:
        self._departures.append(self._clock())

    def per_second(self) -> float | None:
        now = self._clock()
        recent = [t for t in self._departures if now - t <= self._horizon_s]
        if len(recent) < 2 or recent[-1] <= recent[0]:
            return None
        # The span up to now, not to the last departure: a stalled queue slows the rate.
        return (len(recent) - 1) / (now - recent[0])

    def seconds_to_drain(self, queued: int) -> float:
        rate = self.per_second()
        estimate = float(queued) if rate is None else queued / rate
        return min(MAX_ADVICE_S, max(MIN_ADVICE_S, estimate))
