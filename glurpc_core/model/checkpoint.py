"""Loading Gluformer weights (pure compute plus reading one file; never asyncio).

Two file layouts load:
- a bare GlucoBench state dict (`OrderedDict` of tensors), as published on Hugging
  Face; its configuration is inferred from tensor shapes, and what shapes cannot
  tell (heads, activation, dropout, horizon, label length) comes from the file
  name ("10heads", "geluactivation") and the published configuration;
- a glurpc bundle: {"format": BUNDLE_FORMAT, "config": {...}, "scaling": {...},
  "state_dict": {...}}, whose configuration and scaler travel with the weights.
Both are read with `torch.load(weights_only=True)`, so a file can never run code.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch

from glurpc_core.errors import ErrorCode
from glurpc_core.model.errors import ModelError
from glurpc_core.model.layers import sinusoid_table
from glurpc_core.model.network import PUBLISHED_CONFIG, Gluformer, GluformerConfig

BUNDLE_FORMAT = "glurpc-gluformer-bundle/1"
POSITION_TABLES = (
    "enc_embedding.positional_embedding.pos_emb",
    "dec_embedding.positional_embedding.pos_emb",
)


def read_weights_file(path: Path) -> dict[str, Any]:
    """The raw object in `path`, or ModelError for a missing or unreadable file."""
    return _unpickled(Path(path), _file_bytes(Path(path)))


def read_weights_and_digest(path: Path) -> tuple[dict[str, Any], str]:
    """The raw object in `path` and the SHA-256 of the very bytes it came from,
    so a model's id always names the weights loaded, even if the file changes
    between two reads. The hash runs in a thread while torch unpickles (both
    release the GIL on the bulk of their work): a cold load costs about the
    longer of the two, not their sum (bench/bench_models.py). The bytes are a
    second copy of the weights until this returns: a load briefly needs twice
    the file's size."""
    path = Path(path)
    data = _file_bytes(path)
    with ThreadPoolExecutor(1, thread_name_prefix="weights-sha256") as pool:
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        raw = _unpickled(path, data)
    return raw, digest.result()


def weights_digest(path: Path) -> str:
    """The SHA-256 of a weights file, read in blocks (the store names models
    by it without loading them)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_bytes(path: Path) -> bytes:
    if not path.is_file():
        raise ModelError(ErrorCode.MODEL_NOT_FOUND, f"no model weights file at {path}")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ModelError(
            ErrorCode.MODEL_INVALID, f"{path} cannot be read: {exc.strerror or exc}"
        ) from None


def _unpickled(path: Path, data: bytes) -> dict[str, Any]:
    try:
        loaded = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a damaged zip or pickle
        raise ModelError(
            ErrorCode.MODEL_INVALID, f"{path} is not a readable weights file: {exc}"
        ) from exc
    if not isinstance(loaded, Mapping):
        raise ModelError(
            ErrorCode.MODEL_INVALID, f"{path} holds a {type(loaded).__name__}, not a state dict"
        )
    return dict(loaded)


def _shape(state: Mapping[str, Any], key: str) -> tuple[int, ...]:
    value = state.get(key)
    if not isinstance(value, torch.Tensor):
        raise ModelError(ErrorCode.MODEL_INVALID, f"not a Gluformer state dict: missing {key}")
    return tuple(value.shape)


def _count(state: Mapping[str, Any], prefix: str) -> int:
    pattern = re.compile(re.escape(prefix) + r"(\d+)\.")
    numbers = {int(m.group(1)) for key in state if (m := pattern.match(key))}
    return len(numbers)


def _heads(name: str, d_model: int, projected: int) -> int:
    fits = [h for h in range(1, d_model + 1) if h * (d_model // h) == projected]
    named = re.search(r"(\d+)heads", name)
    if named and int(named.group(1)) in fits:
        return int(named.group(1))
    if PUBLISHED_CONFIG.n_heads in fits and d_model == PUBLISHED_CONFIG.d_model:
        return PUBLISHED_CONFIG.n_heads
    if len(fits) == 1:
        return fits[0]
    raise ModelError(
        ErrorCode.MODEL_INVALID,
        f"cannot tell the number of attention heads from shapes ({projected} of {d_model}); "
        "name the file with '<n>heads' or use a glurpc bundle",
    )


def infer_config(state: Mapping[str, Any], name: str = "") -> GluformerConfig:
    """The configuration a bare state dict was saved from."""
    d_model = _shape(state, "enc_embedding.value_embedding.conv.weight")[0]
    d_fcn = _shape(state, "encoder.enc_layers.0.conv1.weight")[0]
    projected = _shape(state, "encoder.enc_layers.0.att.proj_q.weight")[0]
    activ = "relu" if "reluactivation" in name else PUBLISHED_CONFIG.activ
    len_seq = _shape(state, "var.proj2.weight")[1] - 1
    return replace(
        PUBLISHED_CONFIG,
        d_model=d_model,
        n_heads=_heads(name, d_model, projected),
        d_fcn=d_fcn,
        activ=activ,
        num_enc_layers=_count(state, "encoder.enc_layers."),
        num_dec_layers=_count(state, "decoder.layers."),
        distil=_count(state, "encoder.conv_layers.") > 0,
        len_seq=len_seq,
        num_dynamic_features=_shape(state, "enc_embedding.time_embedding.embed.weight")[1],
        num_static_features=_shape(state, "enc_embedding.subject_embedding.id_embedding.weight")[1],
        # gluRPC's rule (input_chunk_length // 3), which gives the published 32.
        label_len=len_seq // 3,
    )


def bundle_config(raw: Mapping[str, Any]) -> GluformerConfig:
    known = {f.name for f in fields(GluformerConfig)}
    values = raw.get("config")
    if not isinstance(values, Mapping) or not set(values) <= known:
        raise ModelError(ErrorCode.MODEL_INVALID, "bundle has no valid 'config' mapping")
    return GluformerConfig(**values)


def build_model(
    state: Mapping[str, Any], config: GluformerConfig, origin: str, device: str
) -> Gluformer:
    """The network holding `state`'s tensors. It is built on the meta device
    and the loaded tensors are assigned in place of its parameters, so a load
    neither draws random initial weights nor copies every tensor once more
    (together most of a cold load's time before this)."""
    try:
        with torch.device("meta"):
            model = Gluformer(config)
        model.load_state_dict(_as_float32(state), strict=True, assign=True)
    except (RuntimeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0:3]
        raise ModelError(
            ErrorCode.MODEL_INVALID, f"{origin} does not fit a Gluformer: {' '.join(first)}"
        ) from exc
    for key, value in state.items():
        if value.is_floating_point() and not _all_finite(value):
            raise ModelError(ErrorCode.MODEL_INVALID, f"{origin} has non-finite values in {key}")
    return model.to(device).eval()


def _as_float32(state: Mapping[str, Any]) -> dict[str, Any]:
    """Floating tensors as float32, the network's precision (copying into its
    parameters used to convert them; assigning keeps a tensor's own dtype)."""
    floating = {
        k for k, v in state.items() if isinstance(v, torch.Tensor) and v.is_floating_point()
    }
    return {key: value.float() if key in floating else value for key, value in state.items()}


def _all_finite(value: torch.Tensor) -> bool:
    """A NaN or an infinity makes the sum non-finite; a finite sum settles it
    without a boolean copy of the tensor (most of a cold load's checking time
    on a busy CPU, bench/bench_models.py). Only a sum that overflowed needs
    the element-wise check."""
    if math.isfinite(float(value.float().sum())):
        return True
    return bool(torch.isfinite(value).all())


@dataclass(frozen=True)
class Opened:
    model: Gluformer  # eval mode, on the requested device
    config: GluformerConfig
    scaling: dict[str, Any] | None  # a bundle's scaler; None for a bare state dict
    calibration: Mapping[str, Any] | None  # a bundle's calibration, unchecked
    sha256: str  # of the bytes the model was read from


def open_weights(path: str | Path, device: str = "cpu") -> Opened:
    """Everything a weights file holds (see `open_checkpoint`)."""
    path = Path(path)
    raw, sha256 = read_weights_and_digest(path)
    if raw.get("format") == BUNDLE_FORMAT:
        config = bundle_config(raw)
        state = raw.get("state_dict")
        scaling = raw.get("scaling")
        calibration = raw.get("calibration")
        if not isinstance(state, Mapping) or not isinstance(scaling, Mapping):
            raise ModelError(
                ErrorCode.MODEL_INVALID, f"{path} bundle lacks its state_dict or scaling"
            )
        if calibration is not None and not isinstance(calibration, Mapping):
            raise ModelError(ErrorCode.MODEL_INVALID, f"{path} bundle calibration is not a map")
        state = dict(state)
        for key in POSITION_TABLES:  # left out of bundles: they are a fixed function
            state.setdefault(key, sinusoid_table(config.d_model))
        model = build_model(state, config, str(path), device)
        return Opened(model, config, dict(scaling), calibration, sha256)
    if not all(isinstance(value, torch.Tensor) for value in raw.values()):
        raise ModelError(
            ErrorCode.MODEL_INVALID, f"{path} is neither a state dict nor a glurpc bundle"
        )
    config = infer_config(raw, path.name)
    model = build_model(raw, config, str(path), device)
    return Opened(model, config, None, None, sha256)


def open_checkpoint(
    path: str | Path, device: str = "cpu"
) -> tuple[Gluformer, GluformerConfig, dict[str, list[float]] | None]:
    """Model (eval mode, on `device`), configuration, and the bundle's scaler (None
    for a bare state dict, whose scaler is fitted on each upload)."""
    opened = open_weights(path, device)
    return opened.model, opened.config, opened.scaling


def load_checkpoint(path: str | Path, device: str = "cpu") -> tuple[Gluformer, GluformerConfig]:
    """The model (in eval mode, on `device`) and its configuration."""
    model, config, _ = open_checkpoint(path, device)
    return model, config


def save_bundle(
    path: str | Path, model: Gluformer, scaling: dict[str, Any], meta: dict[str, Any]
) -> None:
    """Write weights, configuration and scaler as one weights-only-loadable file."""
    state = {
        key: value.detach().cpu()
        for key, value in model.state_dict().items()
        if key not in POSITION_TABLES
    }
    bundle = {
        "format": BUNDLE_FORMAT,
        "config": model.config.as_dict(),
        "scaling": scaling,
        "meta": meta,
        "state_dict": state,
    }
    torch.save(bundle, path)
