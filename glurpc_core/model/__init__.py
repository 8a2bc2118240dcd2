"""The Gluformer model layer (pure compute: torch and numpy; never asyncio, no
network). Public entry points for the daemon."""

from glurpc_core.model.checkpoint import load_checkpoint
from glurpc_core.model.errors import ModelError
from glurpc_core.model.forecaster import Forecaster
from glurpc_core.model.network import PUBLISHED_CONFIG, Gluformer, GluformerConfig
from glurpc_core.model.resolve import resolve_device, resolve_model_path

__all__ = [
    "PUBLISHED_CONFIG",
    "Forecaster",
    "Gluformer",
    "GluformerConfig",
    "ModelError",
    "load_checkpoint",
    "resolve_device",
    "resolve_model_path",
]
