"""Large uploads are parsed in a child process that is killed when unwanted.

Layer: engine helper (event loop side; the child runs pure compute). Parsing a
multi-million-row export takes tens of seconds and gigabytes: in a thread it
holds the GIL long enough to stall the event loop, cannot be stopped when its
last client leaves, and leaves its peak in the daemon's heap. A spawned child
(never forked: the daemon holds torch threads) fixes all three: the loop only
waits on a pipe, the child is killed at the first check after the job stops
being wanted, and its memory goes back to the system when it exits. The
child may allocate at most PARSE_MEMORY_BYTES beyond what it holds when its
task starts (RLIMIT_DATA: what it writes to, not address space it merely
reserves); a parse that needs more ends as `invalid_data`, reason `too_large`.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import resource
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from glurpc_core.errors import CodedError, ErrorCode, OpError
from glurpc_core.ingest.budget import PARSE_MEMORY_BYTES

log = logging.getLogger("glurpcd.engine")

# Smaller uploads parse in the thread pool: a child costs about a second to start.
CHILD_PROCESS_BYTES = 4 * 1024 * 1024
WANTED_CHECK_S = 0.1


@dataclass(frozen=True)
class ChildTask:
    """A cpu-lane job to run in a child: `fn(*args)`, both picklable."""

    fn: Callable[..., Any]
    args: tuple[Any, ...]


class Unwanted(CodedError):
    """The job lost its last waiter; the child was killed."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.CANCELLED, "parsing stopped: no client waits for it")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())


class OverBudget(CodedError):
    """The parse needed more memory than one parse may use."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.INVALID_DATA,
            f"the file is too large to parse: it needs more than"
            f" {PARSE_MEMORY_BYTES // 2**20} MiB (split it, one file per subject)",
            {"reason": "too_large", "memory_limit": PARSE_MEMORY_BYTES},
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), ())


def _child(pipe: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    _hold_memory_to(PARSE_MEMORY_BYTES)
    try:
        outcome: tuple[str, Any] = ("ok", fn(*args))
    except CodedError as exc:
        outcome = ("error", exc)
    except MemoryError:
        outcome = ("error", OverBudget())
    except Exception as exc:  # noqa: BLE001 - a bug: reported as `internal` by the parent
        outcome = ("bug", f"{type(exc).__name__}: {exc}")
    pipe.send(outcome)
    pipe.close()


def _hold_memory_to(budget: int) -> None:
    """At most `budget` more bytes of data from here on (Linux: RLIMIT_DATA
    counts private writable memory; reserved arenas count once written)."""
    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    limit = _data_bytes() + budget
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (limit, hard))


def _data_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmData:"):
                return int(line.split()[1]) * 1024
    return 0


async def run_in_child(task: ChildTask, *, wanted: Callable[[], bool]) -> Any:
    """`task` in a fresh process; raises Unwanted once `wanted()` is false."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, task.fn, task.args), daemon=True)
    await asyncio.to_thread(process.start)  # pickles args into the child: off the loop
    sender.close()
    reply = asyncio.ensure_future(asyncio.to_thread(_receive, receiver))
    try:
        while not reply.done():
            await asyncio.wait({reply}, timeout=WANTED_CHECK_S)
            if not reply.done() and not wanted():
                process.kill()
                log.info("parsing stopped: no client waits for it (child %d killed)", process.pid)
                await asyncio.wait({reply})
                raise Unwanted
        kind, value = reply.result()
    finally:
        if process.is_alive():
            process.kill()
        await asyncio.to_thread(process.join)
        receiver.close()
    if kind == "ok":
        return value
    if kind == "error":
        raise value
    if process.exitcode == -signal.SIGABRT:  # an allocation in polars failed: Rust aborts
        raise OverBudget
    raise OpError(ErrorCode.INTERNAL, f"parsing failed in its child process: {value}")


def _receive(pipe: Connection) -> tuple[str, Any]:
    try:
        kind, value = pipe.recv()
    except (EOFError, OSError):
        return "died", "the parsing process died"
    return kind, value
