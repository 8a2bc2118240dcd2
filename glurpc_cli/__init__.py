"""glurpc: the command-line client and Python client library for glurpcd.

This package stays light: it imports only the standard library, msgpack and
click (rich lazily, for terminals). Never import torch, numpy, polars or
matplotlib here.
"""

__version__ = "0.1.0"
