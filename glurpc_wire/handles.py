"""What a handle looks like on the wire: 64 lowercase hex digits (a SHA-256).

The one check, used by every op that takes a handle and by the cache.
"""

from __future__ import annotations

import re
from typing import TypeGuard

_HANDLE = re.compile(r"[0-9a-f]{64}")


def is_handle(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _HANDLE.fullmatch(value) is not None
