"""glurpc's wire package: what the daemon and every client share.

Layer: below both `glurpc_cli` and `glurpcd`. Framing, message shapes, the one
vocabulary of error codes and the default paths. Standard library and msgpack
only: no I/O beyond path lookups, no asyncio, no heavy imports, so that the
CLI starts fast and the daemon's pure layers never load it by accident.
"""

__version__ = "0.1.0"
