"""How many connections the daemon holds at once, how a refusal reads, and
the daemon-wide bounds every connection shares.

Layer: connection admission (event loop only). Past the limit a new
connection gets one `overloaded` frame and is closed, so a healthy client sees
a coded error instead of a reset, and descriptors stay free for the cache and
the workers. Refusals are logged: the first at once, then at most one summary
line per interval, so a storm cannot flood the log.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from glurpc_wire import messages as wire
from glurpc_wire.codes import ErrorCode
from glurpcd.server.descriptors import connection_limit
from glurpcd.server.flow import ConnectionFlow, FlowSettings, HeapTrim, PartialFrameBudget
from glurpcd.server.peer import Peer
from glurpcd.settings.config import DaemonConfig

log = logging.getLogger("glurpcd")

LOG_INTERVAL_S = 10.0


class ConnectionLimit:
    def __init__(self, limit: int, *, clock: Any = time.monotonic) -> None:
        self.limit = limit
        self.refused = 0
        self._clock = clock
        self._unlogged = 0
        self._last_log: float | None = None

    def admits(self, open_connections: int, peer: Peer) -> bool:
        if open_connections < self.limit:
            return True
        self.refused += 1
        self._unlogged += 1
        now = self._clock()
        if self._last_log is None or now - self._last_log >= LOG_INTERVAL_S:
            log.warning(
                "refused %d connection(s) (latest from %s): %d open, the limit is %d",
                self._unlogged,
                peer,
                open_connections,
                self.limit,
            )
            self._unlogged, self._last_log = 0, now
        return False

    def refusal(self) -> dict[str, Any]:
        return wire.error(
            None,
            None,
            ErrorCode.OVERLOADED,
            f"the daemon serves its limit of {self.limit} connections; retry later",
            {"retry_after": 1.0, "reason": "connections", "limit": self.limit},
        )


@dataclass
class ConnectionBounds:
    """Everything daemon-wide that bounds connections: their number, the
    bytes of incomplete frames they hold, and the per-connection flow rules."""

    limit: ConnectionLimit
    settings: FlowSettings
    partial_frames: PartialFrameBudget
    heap_trim: HeapTrim

    @classmethod
    def from_config(cls, config: DaemonConfig) -> ConnectionBounds:
        settings = FlowSettings(
            write_deadline_s=config.write_timeout_s,
            frame_timeout_s=config.frame_timeout_s,
            partial_frame_budget=config.max_pending_mb * 1024 * 1024,
        )
        return cls(
            ConnectionLimit(connection_limit(config.max_connections)),
            settings,
            PartialFrameBudget(settings.partial_frame_budget),
            HeapTrim(),
        )

    def new_flow(self) -> ConnectionFlow:
        return ConnectionFlow(self.settings, self.partial_frames, self.heap_trim)

    def info(self) -> dict[str, Any]:
        """What `status` shows of these bounds."""
        return {
            "partial_frame_bytes": self.partial_frames.held,
            "partial_frame_limit": self.partial_frames.limit,
            "connection_limit": self.limit.limit,
            "connections_refused": self.limit.refused,
        }
