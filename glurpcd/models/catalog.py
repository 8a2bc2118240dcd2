"""The model store's catalogue: which models the daemon knows, by name.

Layer: daemon resources (reads the file system; never loads weights, never
asyncio). The names:
- `default`: the model the daemon serves when a request names none (what
  `--model`, `GLURPC_MODEL`, the Hugging Face cache or the shipped file gave);
- `shipped`: the small model inside the package;
- `published`: the published Gluformer checkpoint, when the local Hugging Face
  cache holds it (never downloaded);
- every `NAME.pt` / `NAME.pth` in the models directory (directory.py checks
  who may write there; files that fail those checks are left out and logged).
A model's id is its file's stem and the first 12 hex digits of its SHA-256,
as `Forecaster.model_id` computes it, so the same bytes have the same id
under any name. Digests are remembered per (path, size, mtime), so a rescan
(SIGHUP) reads only new or changed files.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glurpc_core.model.card import read_card
from glurpc_core.model.checkpoint import weights_digest
from glurpc_core.model.resolve import SHIPPED_DEFAULT, cached_published_checkpoint
from glurpcd.models.directory import directory_problem, file_problem, store_files

log = logging.getLogger("glurpcd.models")

NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")
RESERVED = ("default", "shipped", "published")
MODEL_SUFFIXES = (".pt", ".pth")


@dataclass(frozen=True)
class ModelFile:
    name: str
    path: Path
    source: str  # "default" | "shipped-default" | "huggingface-cache" | "store"
    size: int  # bytes on disk: the budget's measure of a resident model
    digest: str
    # read_card's facts: layout, parameters, calibration, card, problem.
    facts: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def model_id(self) -> str:
        return f"{self.path.stem}-{self.digest[:12]}"

    def describe(self) -> dict[str, Any]:
        """The `models` op's row for this model (without residency)."""
        return {
            "name": self.name,
            "id": self.model_id,
            "source": self.source,
            "path": str(self.path),
            "bytes": self.size,
            "parameters": self.facts.get("parameters"),
            "calibration": self.facts.get("calibration"),
            "layout": self.facts.get("layout"),
            "problem": self.facts.get("problem"),
        }


def check_name(name: object) -> str:
    """A name a client may give a model; ValueError says the rule."""
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or name in RESERVED:
        raise ValueError(
            "a model name is 1-128 of a-z, 0-9, '.', '_' or '-', starting with a letter or "
            f"digit, and not one of {', '.join(RESERVED)}"
        )
    return name


class Catalog:
    """Name -> ModelFile, rebuilt by `scan` (from any thread: scans are
    serialised and swap the table whole); `default` is fixed at start."""

    def __init__(
        self,
        default_path: Path,
        default_source: str,
        directory: Path | None,
        default_digest: str | None = None,
    ) -> None:
        """`default_digest`: the SHA-256 of the bytes the default was loaded
        from, when it is loaded already (its id is then the served model's,
        and the file is not hashed a second time)."""
        self.directory = directory
        self._lock = threading.Lock()
        # (path, size, mtime) -> (digest, facts): a rescan reads only changed files.
        self._known: dict[tuple[str, int, int], tuple[str, dict[str, Any]]] = {}
        # The daemon serves this file from start to stop, whatever happens to it.
        default = Path(default_path)
        self._default = self._entry("default", default, default_source, set(), default_digest)
        self._by_name: dict[str, ModelFile] = {}
        self.scan()

    def scan(self) -> dict[str, ModelFile]:
        """Read the sources again; returns (and keeps) the new table."""
        with self._lock:
            seen: set[tuple[str, int, int]] = set()
            found = {"default": self._default}
            default_path = self._default.path.resolve()
            others = [("shipped", SHIPPED_DEFAULT, "shipped-default")]
            published = cached_published_checkpoint()
            if published is not None:
                others.append(("published", published, "huggingface-cache"))
            others += [(name, file, "store") for name, file in self._store_files()]
            for name, path, source in others:
                if path.resolve() == default_path:
                    continue
                try:
                    found[name] = self._entry(name, path, source, seen)
                except OSError as exc:  # gone or unreadable since it was listed
                    log.warning("models: %s left out: %s", path, exc.strerror or exc)
            self._by_name = found
            keep = seen | {_stat_key(self._default.path)}
            self._known = {key: value for key, value in self._known.items() if key in keep}
            return found

    def _store_files(self) -> list[tuple[str, Path]]:
        if self.directory is None:
            return []
        problem = directory_problem(self.directory)
        if problem is not None:
            log.warning("models directory left out: %s", problem)
            return []
        files = []
        for path in store_files(self.directory, MODEL_SUFFIXES):
            problem = file_problem(path)
            if problem is not None:
                log.warning("models: %s left out: %s", path, problem)
                continue
            try:
                files.append((check_name(path.stem), path))
            except ValueError as exc:
                log.warning("models: %s left out: %s", path, exc)
        return files

    def _entry(
        self,
        name: str,
        path: Path,
        source: str,
        seen: set[tuple[str, int, int]],
        digest: str | None = None,
    ) -> ModelFile:
        key = _stat_key(path)
        seen.add(key)
        known = self._known.get(key)
        if known is None:
            known = self._known[key] = (digest or weights_digest(path), read_card(path))
        return ModelFile(name, path, source, key[1], *known)

    def get(self, name: str) -> ModelFile | None:
        return self._by_name.get(name)

    def by_id(self, model_id: str) -> ModelFile | None:
        return next((m for m in self._by_name.values() if m.model_id == model_id), None)

    @property
    def default(self) -> ModelFile:
        return self._default

    def entries(self) -> list[ModelFile]:
        return list(self._by_name.values())


def _stat_key(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return (str(path), info.st_size, info.st_mtime_ns)
