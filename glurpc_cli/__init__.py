"""glurpc: the command-line client and Python client library for glurpcd.

This package stays light: it imports only the standard library, msgpack and
click (rich lazily, for terminals). Never import torch, numpy, polars or
matplotlib here.
"""

from glurpc_wire import __version__

__all__ = ["__version__"]
