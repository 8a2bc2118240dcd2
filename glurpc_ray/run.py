"""The engine's one entry point for the CLI: run a cohort, errors as one line.

Layer: cohort engine, driver side. Everything the user can get wrong or the
environment can refuse (a missing or broken model, a cluster that cannot be
reached or is too small, an output directory that cannot be made) becomes a
`GlurpcError` with a stable code, which the CLI prints as one line with its
exit code. Per-file failures are not errors here: they are records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from glurpc_cli.errors import GlurpcError
from glurpc_core.errors import CodedError
from glurpc_wire.codes import ErrorCode

from .cluster import ClusterError
from .evaluation import evaluate_cohort
from .options import CohortOptions
from .pipeline import run_cohort

T = TypeVar("T")

AUTH_HINT = "a cluster with token authentication also needs RAY_AUTH_MODE=token"


def run_guarded(files: list[str], options: CohortOptions) -> int:
    """plot and forecast: the exit code."""
    return _guarded(run_cohort, files, options)


def evaluate_guarded(files: list[str], options: CohortOptions) -> dict[str, Any]:
    """evaluate: the report, as the daemon's `evaluate` answers."""
    return _guarded(evaluate_cohort, files, options)


def _guarded(
    job: Callable[[list[str], CohortOptions], T], files: list[str], options: CohortOptions
) -> T:
    try:
        return job(files, options)
    except ClusterError as exc:
        raise GlurpcError(str(exc), code=ErrorCode.USAGE) from None
    except ConnectionError as exc:  # ray.init could not reach --ray-address
        message = f"Ray cluster: {exc} ({AUTH_HINT})"
        raise GlurpcError(message, code=ErrorCode.DAEMON_UNREACHABLE) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise GlurpcError(f"{exc.strerror or exc}{where}", code=ErrorCode.IO_ERROR) from None
    except Exception as exc:
        coded = coded_cause(exc)  # a model that cannot load, raised in the driver or an actor
        if coded is not None:
            raise GlurpcError(coded.message, code=coded.code) from None
        if type(exc).__module__.startswith("ray"):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise GlurpcError(f"the Ray job failed: {first}", code=ErrorCode.INTERNAL) from None
        raise


def coded_cause(exc: BaseException) -> CodedError | None:
    """The CodedError behind `exc`: itself, or what a Ray error wraps (its `cause`)."""
    current: BaseException | None = exc
    for _ in range(16):  # cause chains are short; a cycle must not hang us
        if current is None:
            return None
        if isinstance(current, CodedError) and "message" in vars(current):
            return current
        cause = getattr(current, "cause", None)
        current = cause if isinstance(cause, BaseException) else current.__cause__
    return None
