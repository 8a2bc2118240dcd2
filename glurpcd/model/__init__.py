"""The Gluformer model layer (pure compute: torch and numpy; never asyncio, no
network). Public entry points for the daemon."""

from .checkpoint import load_checkpoint
from .errors import ModelError
from .forecaster import Forecaster
from .network import PUBLISHED_CONFIG, Gluformer, GluformerConfig
from .resolve import resolve_device, resolve_model_path

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
