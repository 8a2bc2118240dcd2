"""glurpcd.toml: where the files are, reading them, and naming the line of a
bad key.

Layer: start-up (and SIGHUP, which reads the same files again). The files are
flat TOML: `key = value` with the keys of options.py. A later file overrides
an earlier one key by key: /etc/glurpc/glurpcd.toml, then
$XDG_CONFIG_HOME/glurpc/glurpcd.toml; `--config PATH` replaces both. A file
that another user could have written (owned by someone else, or writable by
its group or by everyone) is refused: it names the model file the daemon
unpickles.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glurpcd.settings.options import BY_KEY

SYSTEM_FILE = Path("/etc/glurpc/glurpcd.toml")
FILE_NAME = "glurpcd.toml"


class ConfigError(Exception):
    """A setting that stops start-up; the message names the key and where."""


@dataclass(frozen=True)
class FileValue:
    value: Any
    source: str  # "file PATH:LINE"


def user_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "glurpc" / FILE_NAME


def config_files(explicit: str | None) -> list[Path]:
    """The files to read, lowest precedence first. An explicit file must exist."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        return [path]
    return [path for path in (SYSTEM_FILE, user_file()) if path.is_file()]


def read_files(paths: list[Path]) -> dict[str, FileValue]:
    values: dict[str, FileValue] = {}
    for path in paths:
        values.update(read_file(path))
    return values


def read_file(path: Path) -> dict[str, FileValue]:
    """Every key of one file, parsed and checked against options.py."""
    _check_trusted(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    lines = _key_lines(text)
    values: dict[str, FileValue] = {}
    for key, raw in document.items():
        where = f"{path}:{lines.get(key, '?')}"
        option = BY_KEY.get(key)
        if option is None:
            raise ConfigError(f"{where}: unknown key {key!r} (see glurpcd.toml(5))")
        try:
            values[key] = FileValue(option.parse(raw), f"file {where}")
        except ValueError as exc:
            raise ConfigError(f"{where}: bad value for {key!r}: {exc}") from None
    return values


_KEY_LINE = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*[=.\[]?""")


def _key_lines(text: str) -> dict[str, int]:
    """Line number of each top-level key (tomllib reports none). A table
    header `[name]` counts as the line of key `name`."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = re.match(r"^\[+\s*([^\]\s.]+)", stripped)
        match = header or _KEY_LINE.match(stripped)
        if match is None:
            continue
        key = next(group for group in match.groups() if group)
        lines.setdefault(key, number)
    return lines


def _check_trusted(path: Path) -> None:
    try:
        info = path.stat()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    if info.st_uid not in (0, os.getuid()):
        raise ConfigError(
            f"config file {path} belongs to uid {info.st_uid}, neither root nor this user"
        )
    if info.st_mode & stat.S_IWOTH:
        raise ConfigError(f"config file {path} is writable by every user (mode {info.st_mode:o})")
    if info.st_mode & stat.S_IWGRP:
        raise ConfigError(
            f"config file {path} is writable by its group (mode {info.st_mode:o}); chmod g-w {path}"
        )
