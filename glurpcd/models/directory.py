"""The models directory and the trust rules for what is in it.

Layer: daemon resources (file system only; never asyncio, never torch). A
weights file decides every forecast the daemon gives, so the rules are the
socket directory's (glurpc_wire/paths.py, server/listener.py): the directory
must be a real directory (lstat: never followed through a symlink), owned by
the daemon's uid or root, and writable by nobody else; each model file a
regular file (a symlink is left out, never followed), owned by the daemon's
uid or root, writable by nobody else. Anything else is left out of the store
with a log line that says how to fix it. The directory is created (0700) only
when `models add` first writes to it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path


def _trusted_owner(info: os.stat_result) -> bool:
    return info.st_uid in (0, os.getuid())


def directory_problem(directory: Path) -> str | None:
    """Why `directory` may not hold models, or None (a missing one holds none)."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"{directory} is a symlink; point --models-dir at the real directory"
    if not stat.S_ISDIR(info.st_mode):
        return f"{directory} is not a directory"
    if not _trusted_owner(info):
        return f"{directory} belongs to uid {info.st_uid}, not to the daemon (uid {os.getuid()})"
    if info.st_mode & 0o022:
        mode = stat.S_IMODE(info.st_mode)
        return f"{directory} has mode {mode:04o}: others may write there; chmod go-w {directory}"
    return None


def file_problem(path: Path) -> str | None:
    """Why the file at `path` may not be served, or None."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        return exc.strerror or str(exc)
    if stat.S_ISLNK(info.st_mode):
        return "a symlink (copy the file in with 'glurpc models add')"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if not _trusted_owner(info):
        return f"owned by uid {info.st_uid}, not by the daemon (uid {os.getuid()})"
    if info.st_mode & 0o022:
        return f"mode {stat.S_IMODE(info.st_mode):04o}: others may write it; run chmod go-w"
    return None


def store_files(directory: Path, suffixes: Iterable[str]) -> list[Path]:
    """Candidate model files in `directory`, sorted; none when the directory is
    missing or fails `directory_problem` (which the caller logs)."""
    if directory_problem(directory) is not None or not directory.exists():
        return []
    wanted = tuple(suffixes)
    try:
        names = sorted(os.listdir(directory))
    except OSError:
        return []
    # Dot files are `models add`'s temporary copies, never models.
    return [directory / n for n in names if n.endswith(wanted) and not n.startswith(".")]


def make_models_dir(directory: Path) -> None:
    """Create `directory` (0700) and its missing parents; refuse an unsafe one."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    problem = directory_problem(directory)
    if problem is not None:
        raise PermissionError(problem)
