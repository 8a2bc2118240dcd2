"""The daemon's settings: one frozen dataclass built from the command line.

Layer: start-up only. Environment variables are read here and nowhere else
below `serve()`.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from glurpc_wire.framing import DEFAULT_MAX_FRAME
from glurpc_wire.paths import default_socket_path, default_state_dir

from . import __version__
from .lifecycle import Duplicates


@dataclass(frozen=True)
class DaemonConfig:
    socket: Path
    state_dir: Path
    model: str | None = None
    device: str = "auto"
    samples: int = 10
    seed: int = 0
    batch_rows: int | None = None
    duplicates: Duplicates = Duplicates.COALESCE
    max_frame: int = DEFAULT_MAX_FRAME
    cache_mb: int = 512
    disk_cache_mb: int = 4096
    precompute_hours: float | None = None
    group: str | None = None
    render_workers: int | None = None
    cpu_workers: int = 2
    queue_size: int = 256
    grace_s: float = 10.0
    max_connections: int | None = None
    frame_timeout_s: float = 30.0
    write_timeout_s: float = 30.0
    max_pending_mb: int = 128
    max_upload_mb: int = 32
    background_jobs: int = 1024
    background_jobs_per_uid: int = 512
    ready_fd: int | None = None
    log_level: str = "INFO"

    def precompute_windows(self, device: str) -> int:
        """How many of a handle's newest windows to forecast in the background.
        A GPU does a day in seconds; a CPU with a large model needs minutes."""
        hours = self.precompute_hours
        if hours is None:
            hours = 24.0 if device.startswith("cuda") else 6.0
        return max(0, int(hours * 12))


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = kind(text)
        if value < 0:
            raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="glurpcd", description="Glucose forecasting daemon (Gluformer) for the glurpc CLI."
    )
    p.add_argument("--version", action="version", version=f"glurpcd {__version__}")
    p.add_argument(
        "--socket",
        help="Unix socket path (default: $GLURPC_SOCKET, "
        "$XDG_RUNTIME_DIR/glurpc/glurpcd.sock, /tmp/glurpc-$UID/glurpcd.sock)",
    )
    p.add_argument(
        "--state-dir",
        help="persistent cache directory "
        "(default: $XDG_STATE_HOME/glurpc, /var/lib/glurpc for root)",
    )
    p.add_argument(
        "--model",
        help="Gluformer checkpoint (.pth); default: $GLURPC_MODEL, "
        "the published file in the Hugging Face cache, else the shipped model",
    )
    p.add_argument("--device", default="auto", help="auto | cpu | cuda[:N] (default auto)")
    p.add_argument("--samples", type=_positive(int), default=10, help="MC-dropout samples")
    p.add_argument("--seed", type=int, default=0, help="sampling seed")
    p.add_argument(
        "--batch-rows",
        type=_positive(int),
        default=None,
        help="rows (window x sample) per forward pass; default tuned for the device",
    )
    p.add_argument("--duplicates", choices=[d.value for d in Duplicates], default="coalesce")
    p.add_argument("--max-frame", type=_positive(int), default=DEFAULT_MAX_FRAME)
    p.add_argument("--cache-mb", type=_positive(int), default=512, help="memory cache bound")
    p.add_argument("--disk-cache-mb", type=_positive(int), default=4096, help="disk cache bound")
    p.add_argument(
        "--precompute-hours",
        type=_positive(float),
        default=None,
        help="newest hours of each upload to forecast in the background "
        "(default 6 on CPU, 24 on CUDA; 0 turns it off)",
    )
    p.add_argument("--group", help="also admit members of this group (socket mode 0660)")
    p.add_argument(
        "--render-workers",
        type=_positive(int),
        default=None,
        help="render processes (default: cores, at most 4; 0 renders in-process)",
    )
    p.add_argument(
        "--queue-size",
        type=_positive(int),
        default=256,
        help="queued interactive jobs per lane before 'overloaded'",
    )
    p.add_argument(
        "--grace",
        type=_positive(float),
        default=10.0,
        dest="grace_s",
        help="seconds SIGTERM waits for in-flight requests",
    )
    p.add_argument(
        "--max-connections",
        type=_positive(int),
        default=None,
        help="connections served at once; more are answered 'overloaded' "
        "(default: the descriptor limit less a reserve)",
    )
    p.add_argument(
        "--frame-timeout",
        type=_positive(float),
        default=30.0,
        dest="frame_timeout_s",
        help="seconds a frame may take to arrive once begun (default 30)",
    )
    p.add_argument(
        "--write-timeout",
        type=_positive(float),
        default=30.0,
        dest="write_timeout_s",
        help="seconds a client may leave its results unread before it is dropped (default 30)",
    )
    p.add_argument(
        "--max-pending-mb",
        type=_positive(int),
        default=128,
        help="MiB of incomplete incoming frames held across all connections (default 128)",
    )
    p.add_argument(
        "--max-upload-mb",
        type=_positive(int),
        default=32,
        help="largest CSV upload accepted, in MiB (default 32)",
    )
    p.add_argument(
        "--background-jobs",
        type=_positive(int),
        default=1024,
        help="queued background forecasts in all; the oldest uploads' are dropped first",
    )
    p.add_argument(
        "--background-jobs-per-uid",
        type=_positive(int),
        default=512,
        help="queued background forecasts per client uid",
    )
    p.add_argument(
        "--ready-fd",
        type=int,
        default=None,
        help="write READY to this fd once serving (used by the CLI's autostart)",
    )
    p.add_argument("--log-level", default=os.environ.get("GLURPC_LOG_LEVEL", "INFO"))
    return p


def parse_args(argv: list[str] | None = None) -> DaemonConfig:
    ns = build_parser().parse_args(argv)
    return DaemonConfig(
        socket=default_socket_path(ns.socket),
        state_dir=Path(ns.state_dir) if ns.state_dir else default_state_dir(),
        model=ns.model,
        device=ns.device,
        samples=max(1, ns.samples),
        seed=ns.seed,
        batch_rows=ns.batch_rows or None,
        duplicates=Duplicates(ns.duplicates),
        max_frame=ns.max_frame,
        cache_mb=ns.cache_mb,
        disk_cache_mb=ns.disk_cache_mb,
        precompute_hours=ns.precompute_hours,
        group=ns.group,
        render_workers=ns.render_workers,
        queue_size=max(1, ns.queue_size),
        grace_s=ns.grace_s,
        max_connections=ns.max_connections,
        frame_timeout_s=ns.frame_timeout_s,
        write_timeout_s=ns.write_timeout_s,
        max_pending_mb=ns.max_pending_mb,
        max_upload_mb=ns.max_upload_mb,
        background_jobs=ns.background_jobs,
        background_jobs_per_uid=ns.background_jobs_per_uid,
        ready_fd=ns.ready_fd,
        log_level=ns.log_level.upper(),
    )
