"""The names of things, computed once for the daemon and the Ray engine (pure).

A forecast tag names everything besides the data that changes a forecast's
numbers (model id, MC samples, seed, and precision when not float32). An
upload's handle is the SHA-256 of its prepared series and that tag, so a new
model never serves another's results, and the same series prepared anywhere
gets the same handle. The upload digest names the raw bytes with their
preparation settings and tag: the same bytes sent again find their handle
without being parsed. An evaluation digest names a `glurpc evaluate` report:
its sources' handles (so their data and model) and labels, and the report's
version.
"""

from __future__ import annotations

import hashlib
import json


def forecast_tag(model_id: str, samples: int, seed: int, precision: str = "float32") -> str:
    tag = f"{model_id}|samples={samples}|seed={seed}"
    # float32 handles predate the precision option; they keep their names.
    return tag if precision == "float32" else f"{tag}|precision={precision}"


def upload_handle(series_digest: str, tag: str) -> str:
    return hashlib.sha256(f"{series_digest}|{tag}".encode()).hexdigest()


def upload_digest(raw: bytes, settings_key: str, tag: str) -> str:
    hasher = hashlib.sha256(raw)
    hasher.update(f"|{settings_key}|{tag}".encode())
    return hasher.hexdigest()


def evaluation_digest(sources: list[tuple[str, str]], version: int) -> str:
    """`sources`: (handle, label) pairs in the order the report lists them."""
    text = json.dumps([version, sources], ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()
