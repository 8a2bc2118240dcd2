"""Hand freed heap memory back to the operating system (glibc's malloc_trim).

A forward pass over a large batch allocates hundreds of MB of activations;
glibc keeps the freed pages in its arenas, so a daemon that served one burst
would look that large for the rest of its life. Trimming when the model goes
idle makes its resident size follow what it actually holds. No-op where glibc
is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable


def _load_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


class HeapTrimmer:
    def __init__(self) -> None:
        self._trim = _load_trim()

    def release(self) -> None:
        if self._trim is not None:
            self._trim(0)
