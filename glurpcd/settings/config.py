"""The daemon's settings: one frozen dataclass from flags, environment,
config files and defaults, each value remembering where it came from.

Layer: start-up (and SIGHUP, which resolves again). Precedence: flag >
GLURPCD_* environment variable > config file > default. Environment
variables are read here and nowhere else below `serve()`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glurpc_wire.framing import DEFAULT_MAX_FRAME
from glurpc_wire.paths import default_socket_path, default_state_dir
from glurpcd import __version__
from glurpcd.lifecycle import Duplicates
from glurpcd.settings.configfile import ConfigError, config_files, read_files
from glurpcd.settings.options import AUTO, ENV_ALIASES, OPTIONS


@dataclass(frozen=True)
class DaemonConfig:
    socket: Path
    state_dir: Path
    model: str | None = None
    device: str = "auto"
    samples: int = 10
    seed: int = 0
    batch_rows: int | None = None
    precision: str = "float32"
    duplicates: Duplicates = Duplicates.COALESCE
    max_frame: int = DEFAULT_MAX_FRAME
    cache_mb: int = 512
    disk_cache_mb: int = 4096
    precompute_hours: float | None = None
    background_jobs: int = 1024
    background_jobs_per_uid: int = 512
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
    ready_fd: int | None = None
    log_level: str = "INFO"
    log_format: str = "plain"
    # option key -> "default" | "flag --x" | "env NAME" | "PATH:LINE"
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    # What SIGHUP resolves again: the command line and the config file named on it.
    argv: tuple[str, ...] = field(default=(), compare=False)

    def precompute_windows(self, device: str) -> int:
        """How many of a handle's newest windows to forecast in the background.
        A GPU does a day in seconds; a CPU with a large model needs minutes."""
        hours = self.precompute_hours
        if hours is None:
            hours = 24.0 if device.startswith("cuda") else 6.0
        return max(0, int(hours * 12))


class CurrentConfig:
    """The settings in force: start-up's, replaced by each SIGHUP reload.
    Held by the services; `status` reads the run-time part through it."""

    def __init__(self, config: DaemonConfig) -> None:
        self.value = config

    def runtime(self) -> dict[str, Any]:
        return {o.key: getattr(self.value, o.field) for o in OPTIONS if o.reloadable}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="glurpcd",
        description="Glucose forecasting daemon (Gluformer) for the glurpc CLI. Every option "
        "is also a key of glurpcd.toml and a GLURPCD_* environment variable; "
        "precedence: flag > environment > file > default.",
    )
    p.add_argument("--version", action="version", version=f"glurpcd {__version__}")
    p.add_argument(
        "--config",
        metavar="PATH",
        help="read this config file instead of /etc/glurpc/glurpcd.toml and "
        "$XDG_CONFIG_HOME/glurpc/glurpcd.toml (env GLURPCD_CONFIG)",
    )
    p.add_argument(
        "--print-config",
        action="store_true",
        help="print every effective setting and where it came from, then exit",
    )
    for option in OPTIONS:
        # SUPPRESS: an absent flag leaves no attribute, so lower layers show through.
        p.add_argument(
            option.flag,
            dest=option.key,
            metavar=option.metavar,
            default=argparse.SUPPRESS,
            help=option.help
            if "default" in option.help or "auto" in option.help
            else f"{option.help} (default {_shown(option.default)})",
        )
    p.add_argument(
        "--ready-fd",
        type=int,
        default=None,
        metavar="FD",
        help="write READY to this fd once serving (used by the CLI's autostart)",
    )
    return p


def parse_args(argv: Sequence[str] | None = None) -> tuple[DaemonConfig, argparse.Namespace]:
    """Parse the command line and resolve every setting; a bad flag value is a
    usage error (exit 2), a bad file or environment value a ConfigError."""
    parser = build_parser()
    args = list(argv) if argv is not None else sys.argv[1:]
    ns = parser.parse_args(args)
    flags = {key: value for key, value in vars(ns).items() if key in _KEYS}
    try:
        return resolve(flags, ns.config, ns.ready_fd, os.environ, tuple(args)), ns
    except _FlagError as exc:
        parser.error(str(exc))


def reload(config: DaemonConfig) -> DaemonConfig:
    """Resolve again from the same command line: files and environment are read anew."""
    ns = build_parser().parse_args(list(config.argv))
    flags = {key: value for key, value in vars(ns).items() if key in _KEYS}
    return resolve(flags, ns.config, config.ready_fd, os.environ, config.argv)


class _FlagError(ValueError):
    pass


_KEYS = {option.key for option in OPTIONS}


def resolve(
    flags: Mapping[str, str],
    config_path: str | None,
    ready_fd: int | None,
    environ: Mapping[str, str],
    argv: tuple[str, ...] = (),
) -> DaemonConfig:
    files = read_files(config_files(config_path or environ.get("GLURPCD_CONFIG")))
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        env_name = next(
            (name for name in (option.env, ENV_ALIASES.get(option.key, "")) if name in environ),
            None,
        )
        if option.key in flags:
            try:
                value = option.parse(flags[option.key])
            except ValueError as exc:
                raise _FlagError(f"argument {option.flag}: {exc}") from None
            source = f"flag {option.flag}"
        elif env_name is not None:
            try:
                value = option.parse(environ[env_name])
            except ValueError as exc:
                raise ConfigError(f"environment {env_name}: {exc}") from None
            source = f"env {env_name}"
        elif option.key in files:
            value, source = files[option.key].value, files[option.key].source
        else:
            value, source = option.default, "default"
        values[option.field] = value
        sources[option.key] = source
    values["socket"] = default_socket_path(values["socket"])
    values["state_dir"] = Path(values["state_dir"]) if values["state_dir"] else default_state_dir()
    values["duplicates"] = Duplicates(values["duplicates"])
    return DaemonConfig(**values, ready_fd=ready_fd, sources=sources, argv=argv)


def describe(config: DaemonConfig) -> str:
    """`--print-config`: a valid glurpcd.toml of the effective settings, each
    line saying where its value came from."""
    rows = []
    for option in OPTIONS:
        value = getattr(config, option.field)
        rows.append((f"{option.key} = {_toml(value)}", config.sources.get(option.key, "default")))
    width = max(len(text) for text, _ in rows)
    return "\n".join(f"{text:<{width}}  # {_comment(source)}" for text, source in rows)


def _toml(value: Any) -> str:
    if value is None:
        return f'"{AUTO}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + "".join(_toml_char(ch) for ch in str(value)) + '"'


def _toml_char(ch: str) -> str:
    """One character of a TOML basic string: quotes, backslashes and control
    characters escaped, so a path with a newline cannot add a line."""
    if ch in '"\\':
        return "\\" + ch
    if ord(ch) < 0x20 or ord(ch) == 0x7F:
        return f"\\u{ord(ch):04x}"
    return ch


def _comment(text: str) -> str:
    return "".join(f"\\u{ord(ch):04x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text)


def _shown(default: Any) -> str:
    return AUTO if default is None else str(default)


__all__ = [
    "ConfigError",
    "CurrentConfig",
    "DaemonConfig",
    "build_parser",
    "describe",
    "parse_args",
    "reload",
]
