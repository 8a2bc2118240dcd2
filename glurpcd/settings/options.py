"""Every setting of glurpcd, once: its config-file key, flag, environment
variable, type, default, help and whether SIGHUP may change it.

Layer: start-up (stdlib only; the CLI reads it for shell completion). A value
arrives as text (flag, environment) or as a TOML value (file); `parse` turns
either into the setting's type or raises ValueError with a sentence that
names what was expected. Every value is checked whole: finite, within the
range the daemon can honour (a byte count must fit the wire's 64-bit integers,
a timeout must be one an event loop can schedule), and a group must exist.
"""

from __future__ import annotations

import grp
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from glurpc_wire.framing import DEFAULT_MAX_FRAME, HEADER

AUTO = "auto"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("plain", "json")
DUPLICATE_POLICIES = ("coalesce", "supersede")
PRECISIONS = ("float32", "bf16")

Parser = Callable[[Any], Any]
WIRE_INT_MAX = 2**63 - 1  # msgpack's int64: `status` and `hello` carry settings
MIB_MAX = 2**40  # MiB settings: their byte counts stay below WIRE_INT_MAX
DAY_S = 86_400.0  # the longest timeout or grace honoured
COUNT_MAX = 1_000_000  # queue lengths, connections, batch rows
WORKERS_MAX = 256
MAX_FRAME_LIMIT = 2 ** (8 * HEADER.size) - 1  # what a frame's length prefix can say


@dataclass(frozen=True)
class Option:
    key: str  # the config-file key; the flag and env var derive from it
    parse: Parser
    default: Any
    help: str
    metavar: str = "VALUE"
    reloadable: bool = False  # SIGHUP applies it to a running daemon
    attribute: str = ""  # DaemonConfig field when it differs from key
    choices: tuple[str, ...] = ()  # for shell completion and the man page

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")

    @property
    def env(self) -> str:
        return "GLURPCD_" + self.key.upper()

    @property
    def field(self) -> str:
        return self.attribute or self.key


def _number(
    kind: type, minimum: float, maximum: float = WIRE_INT_MAX, *, auto: bool = False
) -> Parser:
    name = "an integer" if kind is int else "a number"

    def parse(value: Any) -> Any:
        if auto and value == AUTO:
            return None
        if isinstance(value, bool):
            raise ValueError(f"expected {name}, got a boolean")
        if isinstance(value, str):
            try:
                value = kind(value.strip())
            except ValueError:
                raise ValueError(f"expected {name}, got {value!r}") from None
        if kind is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, kind):
            raise ValueError(f"expected {name}, got {type(value).__name__}")
        if not math.isfinite(cast(float, value)):  # TOML nan/inf, or "1e400" read as a float
            raise ValueError(f"expected a finite number, got {value}")
        if cast(float, value) < minimum:
            raise ValueError(f"must be >= {minimum:g}, got {value}")
        if cast(float, value) > maximum:
            raise ValueError(f"must be <= {maximum:,}, got {value}")
        return value

    return parse


def _text(*, auto: bool = False) -> Parser:
    def parse(value: Any) -> Any:
        if not isinstance(value, str) or not value:
            raise ValueError(f"expected a non-empty string, got {value!r}")
        return None if auto and value == AUTO else value

    return parse


def _group() -> Parser:
    text = _text(auto=True)

    def parse(value: Any) -> Any:
        name = text(value)
        if name is not None:
            try:
                grp.getgrnam(name)
            except KeyError:
                raise ValueError(f"no group named {name!r} on this system") from None
        return name

    return parse


def _choice(choices: tuple[str, ...], *, upper: bool = False) -> Parser:
    def parse(value: Any) -> Any:
        text = value.upper() if upper and isinstance(value, str) else value
        if text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return text

    return parse


OPTIONS: tuple[Option, ...] = (
    Option(
        "socket",
        _text(auto=True),
        None,
        "Unix socket path (default: $GLURPC_SOCKET, $XDG_RUNTIME_DIR/glurpc/glurpcd.sock, "
        "/tmp/glurpc-$UID/glurpcd.sock)",
        "PATH",
    ),
    Option(
        "state_dir",
        _text(auto=True),
        None,
        "persistent cache directory (default: $XDG_STATE_HOME/glurpc, /var/lib/glurpc for root)",
        "DIR",
    ),
    Option(
        "model",
        _text(auto=True),
        None,
        "Gluformer checkpoint (.pth); default: $GLURPC_MODEL, the published file in the "
        "Hugging Face cache, else the shipped model",
        "PATH",
    ),
    Option(
        "device", _text(), AUTO, "auto | cpu | cuda[:N]", "DEVICE", choices=("auto", "cpu", "cuda")
    ),
    Option("samples", _number(int, 1, 10_000), 10, "Monte-Carlo-dropout samples per window", "N"),
    Option("seed", _number(int, 0), 0, "sampling seed", "N"),
    Option(
        "batch_rows",
        _number(int, 1, COUNT_MAX, auto=True),
        None,
        "rows (window x sample) per forward pass; auto: tuned for the device",
        "N",
    ),
    Option(
        "precision",
        _choice(PRECISIONS),
        "float32",
        "bf16: bfloat16 autocast, faster on GPUs and AMX/AVX512-BF16 CPUs, moves forecasts "
        "slightly (docs/MODEL.md); default float32",
        "PRECISION",
        choices=PRECISIONS,
    ),
    Option(
        "duplicates",
        _choice(DUPLICATE_POLICIES),
        "coalesce",
        "identical requests in flight: coalesce (share one computation) or supersede "
        "(the newest wins)",
        "POLICY",
        reloadable=True,
        choices=DUPLICATE_POLICIES,
    ),
    Option(
        "max_frame",
        _number(int, 1024, MAX_FRAME_LIMIT),
        DEFAULT_MAX_FRAME,
        "largest frame in bytes",
        "BYTES",
    ),
    Option("cache_mb", _number(int, 0, MIB_MAX), 512, "memory cache bound", "MIB", reloadable=True),
    Option(
        "disk_cache_mb", _number(int, 0, MIB_MAX), 4096, "disk cache bound", "MIB", reloadable=True
    ),
    Option(
        "precompute_hours",
        _number(float, 0, 24 * 365, auto=True),
        None,
        "newest hours of each upload to forecast in the background "
        "(auto: 6 on CPU, 24 on CUDA; 0 turns it off)",
        "HOURS",
        reloadable=True,
    ),
    Option(
        "background_jobs",
        _number(int, 0, COUNT_MAX),
        1024,
        "most background forecasts queued in all; the oldest uploads' are dropped first",
        "N",
        reloadable=True,
    ),
    Option(
        "background_jobs_per_uid",
        _number(int, 0, COUNT_MAX),
        512,
        "most background forecasts queued for one client uid",
        "N",
        reloadable=True,
    ),
    Option(
        "group",
        _group(),
        None,
        "also admit members of this group (socket mode 0660)",
        "GROUP",
    ),
    Option(
        "render_workers",
        _number(int, 0, WORKERS_MAX, auto=True),
        None,
        "render processes (auto: cores, at most 4; 0 renders in-process)",
        "N",
    ),
    Option("cpu_workers", _number(int, 1, WORKERS_MAX), 2, "parsing threads", "N"),
    Option(
        "queue_size",
        _number(int, 1, COUNT_MAX),
        256,
        "queued jobs per lane before 'overloaded'",
        "N",
    ),
    Option(
        "grace",
        _number(float, 0, DAY_S),
        10.0,
        "seconds SIGTERM waits for in-flight requests",
        "SECONDS",
        attribute="grace_s",
    ),
    Option(
        "max_connections",
        _number(int, 1, COUNT_MAX, auto=True),
        None,
        "connections served at once; more are answered 'overloaded' "
        "(auto: the descriptor limit less a reserve)",
        "N",
    ),
    Option(
        "frame_timeout",
        _number(float, 0.001, DAY_S),
        30.0,
        "seconds a frame may take to arrive once begun",
        "SECONDS",
        attribute="frame_timeout_s",
    ),
    Option(
        "write_timeout",
        _number(float, 0.001, DAY_S),
        30.0,
        "seconds a client may leave its results unread before it is dropped",
        "SECONDS",
        attribute="write_timeout_s",
    ),
    Option(
        "max_pending_mb",
        _number(int, 1, MIB_MAX),
        128,
        "MiB of incomplete incoming frames held across all connections",
        "MIB",
    ),
    Option("max_upload_mb", _number(int, 1, MIB_MAX), 32, "largest CSV upload accepted", "MIB"),
    Option(
        "log_level",
        _choice(LOG_LEVELS, upper=True),
        "INFO",
        "DEBUG | INFO | WARNING | ERROR",
        "LEVEL",
        reloadable=True,
        choices=LOG_LEVELS,
    ),
    Option(
        "log_format",
        _choice(LOG_FORMATS),
        "plain",
        "plain | json (one object a line)",
        "FMT",
        choices=LOG_FORMATS,
    ),
)

BY_KEY = {option.key: option for option in OPTIONS}
# Older names still honoured, below the GLURPCD_* variable.
ENV_ALIASES = {"log_level": "GLURPC_LOG_LEVEL"}
