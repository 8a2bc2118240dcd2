"""glurpcd: the glucose-forecasting daemon (model, request lifecycle, caches)."""

from glurpc_wire import __version__

__all__ = ["__version__"]
