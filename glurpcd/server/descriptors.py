"""The descriptors the daemon may use, and how many connections that allows.

Layer: start-up. The soft RLIMIT_NOFILE is raised to the hard one (1024 is a
common soft default; a lab's shell scripts open more connections than that),
and the connection limit stays below it by a reserve for cache files, worker
pipes, the model and the logs, so a storm of connections is refused with a
coded error instead of starving the daemon of descriptors.
"""

from __future__ import annotations

import logging
import resource

log = logging.getLogger("glurpcd")

FD_RESERVE = 128
MIN_CONNECTIONS = 16
MAX_DEFAULT_CONNECTIONS = 65_536  # when the limit is "unlimited"


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == hard:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        log.warning("could not raise the descriptor limit from %d to %d: %s", soft, hard, exc)
        return soft
    return hard


def connection_limit(configured: int | None) -> int:
    """The connection limit: as configured, never closer than FD_RESERVE to
    the soft descriptor limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = MAX_DEFAULT_CONNECTIONS + FD_RESERVE
    ceiling = max(MIN_CONNECTIONS, soft - FD_RESERVE)
    if configured is None:
        return ceiling
    if configured > ceiling:
        log.warning(
            "--max-connections %d lowered to %d (descriptor limit %d)", configured, ceiling, soft
        )
    return min(configured, ceiling)
