"""Which requests the code running now serves, for the log lines it writes.

Layer: shared by the connection (a request's own task), the engine (a job's
worker, serving every request attached to it) and logging (which stamps the
ids on each record, library warnings included). A ContextVar follows tasks
and `asyncio.to_thread`; `in_context` carries it into executor threads.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

REQUEST_IDS: contextvars.ContextVar[tuple[int, ...]] = contextvars.ContextVar(
    "glurpcd_request_ids", default=()
)


@contextlib.contextmanager
def serving(request_ids: Iterable[int]) -> Iterator[None]:
    token = REQUEST_IDS.set(tuple(sorted(request_ids)))
    try:
        yield
    finally:
        REQUEST_IDS.reset(token)


def in_context(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """`fn(*args, **kwargs)` to run in another thread with this context's request ids."""
    return functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)


def current() -> tuple[int, ...]:
    return REQUEST_IDS.get()
