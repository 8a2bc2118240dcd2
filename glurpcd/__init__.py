"""glurpcd: the glucose-forecasting daemon (model, request lifecycle, caches)."""

__version__ = "0.1.0"
