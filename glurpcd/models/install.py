"""`models add`: copy a weights file into the models directory, atomically,
only when the daemon's own loader accepts it.

Layer: daemon resources (blocking file I/O and the loader; runs in a worker
thread, never asyncio). The copy goes to a dot-named temporary file in the
models directory (the catalogue never lists dot files); the loader that serves
models checks that copy, not the source, so what is validated is what will
be served. Only then is it linked to its final name: `link` never replaces a
file, so an existing model is never overwritten. Whatever happens (invalid
weights, a full disk, a client that left), the temporary copy is removed:
nothing is left behind but a complete, valid model.

The temporary name ends with the final name, because a bare GlucoBench state
dict's attention heads and activation are read from its file name
(checkpoint.py): the copy is checked exactly as the final file will load.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from glurpc_core.errors import ErrorCode, OpError
from glurpcd.models.catalog import MODEL_SUFFIXES
from glurpcd.models.directory import make_models_dir

COPY_BLOCK = 1 << 20


class Abandoned(Exception):
    """The client left before the model was linked in: nothing was installed."""


def target_path(directory: Path, name: str, source: Path) -> Path:
    """NAME with the source's suffix (.pt or .pth), refused when NAME is taken."""
    suffix = source.suffix if source.suffix in MODEL_SUFFIXES else ".pt"
    for other in MODEL_SUFFIXES:
        if os.path.lexists(directory / f"{name}{other}"):
            raise OpError(
                ErrorCode.BAD_REQUEST,
                f"a model named {name!r} is already in {directory}; choose another --name",
                {"reason": "name_taken", "name": name},
            )
    return directory / f"{name}{suffix}"


def install(
    source: Path,
    directory: Path,
    name: str,
    validate: Callable[[Path], None],
    wanted: Callable[[], bool] = lambda: True,
) -> Path:
    """The installed path; OpError (or the loader's ModelError) when refused."""
    try:
        reader = open(source, "rb")  # noqa: SIM115 -- closed below, after the copy
    except OSError as exc:
        raise OpError(
            ErrorCode.MODEL_NOT_FOUND,
            f"cannot read {source}: {exc.strerror or exc}",
            {"path": str(source)},
        ) from None
    with reader:
        try:
            make_models_dir(directory)
        except OSError as exc:
            raise OpError(
                ErrorCode.PERMISSION_DENIED, f"models directory {directory}: {exc}"
            ) from None
        final = target_path(directory, name, source)
        temporary = directory / f".part-{secrets.token_hex(6)}-{final.name}"
        try:
            _copy_into(reader, temporary, directory)
            validate(temporary)
            if not wanted():
                raise Abandoned(name)
            try:
                os.link(temporary, final)
            except FileExistsError:
                target_path(directory, name, source)  # raises name_taken
                raise
            _sync_directory(directory)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
    return final


def _copy_into(reader: BinaryIO, temporary: Path, directory: Path) -> None:
    try:
        _copy(reader, temporary)
    except PermissionError as exc:  # e.g. a root-owned directory the daemon cannot write
        raise OpError(
            ErrorCode.PERMISSION_DENIED,
            f"the daemon may not write to {directory}: {exc.strerror}",
            {"path": str(directory)},
        ) from None


def _copy(reader: BinaryIO, temporary: Path) -> None:
    # O_EXCL|O_NOFOLLOW: never write through something already at that name.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    descriptor = os.open(temporary, flags, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        shutil.copyfileobj(reader, out, COPY_BLOCK)
        out.flush()
        os.fsync(out.fileno())


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
