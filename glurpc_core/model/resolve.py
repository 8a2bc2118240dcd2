"""Which weights file and which device (reads the environment and the file system;
pure otherwise, never asyncio, never downloads).

Model resolution order: an explicit path (`--model`), then `GLURPC_MODEL`, then the
published checkpoint already in the local Hugging Face cache, then the small model
shipped inside this package.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from glurpc_core.errors import ErrorCode
from glurpc_core.model.errors import ModelError

HF_REPO_DIR = "models--Livia-Zaharia--gluformer_models"
HF_FILENAME = "gluformer_1samples_500epochs_10heads_32batch_geluactivation_livia_large_weights.pth"
SHIPPED_DEFAULT = Path(__file__).parent / "default" / "gluformer_default.pt"


def huggingface_hub_cache() -> Path:
    """The hub cache folder as huggingface_hub computes it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        home = Path(os.environ["HF_HOME"]).expanduser()
    elif os.environ.get("XDG_CACHE_HOME"):
        home = Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "huggingface"
    else:
        home = Path.home() / ".cache" / "huggingface"
    return home / "hub"


def cached_published_checkpoint() -> Path | None:
    """The published file in the local cache: the snapshot `refs/main` names if it
    has the file, else the newest snapshot that does."""
    repo = huggingface_hub_cache() / HF_REPO_DIR
    main_ref = repo / "refs" / "main"
    if main_ref.is_file():
        candidate = repo / "snapshots" / main_ref.read_text().strip() / HF_FILENAME
        if candidate.is_file():
            return candidate
    found = [path for path in repo.glob(f"snapshots/*/{HF_FILENAME}") if path.is_file()]
    return max(found, key=lambda path: path.stat().st_mtime) if found else None


def resolve_model_path(explicit: str | None) -> tuple[Path, str]:
    """(path, source) with source "explicit", "env", "huggingface-cache" or "shipped-default"."""
    if explicit:
        return _existing(Path(explicit).expanduser(), "--model"), "explicit"
    from_env = os.environ.get("GLURPC_MODEL")
    if from_env:
        return _existing(Path(from_env).expanduser(), "GLURPC_MODEL"), "env"
    cached = cached_published_checkpoint()
    if cached is not None:
        return cached, "huggingface-cache"
    return _existing(SHIPPED_DEFAULT, "the shipped default model"), "shipped-default"


def _existing(path: Path, named_by: str) -> Path:
    if not path.is_file():
        raise ModelError(ErrorCode.MODEL_NOT_FOUND, f"{named_by} names {path}, which is not a file")
    return path


def resolve_device(spec: str = "auto") -> str:
    """ "auto" -> "cuda:0" when CUDA is present, else "cpu"; "cuda" -> "cuda:0"."""
    spec = (spec or "auto").strip().lower()
    if spec == "auto":
        return "cuda:0" if torch.cuda.is_available() else "cpu"
    if spec == "cpu":
        return "cpu"
    if spec == "cuda" or spec.startswith("cuda:"):
        number = spec.partition(":")[2] or "0"
        if not number.isdigit():
            raise ModelError(ErrorCode.DEVICE_UNAVAILABLE, f"bad device {spec!r}")
        if not torch.cuda.is_available() or int(number) >= torch.cuda.device_count():
            raise ModelError(ErrorCode.DEVICE_UNAVAILABLE, f"device {spec!r} is not available here")
        return f"cuda:{int(number)}"
    raise ModelError(ErrorCode.DEVICE_UNAVAILABLE, f"unknown device {spec!r} (auto, cpu, cuda[:N])")
