"""The engine's one entry point for the CLI: run a cohort, errors as one line.

Layer: cohort engine, driver side. Everything the user can get wrong or the
environment can refuse (a missing model, a cluster that cannot be reached or
is too small, an output directory that cannot be made) becomes a
`GlurpcError` with a stable code, which the CLI prints as one line with its
exit code. Per-file failures are not errors here: they are records.
"""

from __future__ import annotations

from glurpc_cli.errors import GlurpcError
from glurpc_wire.codes import ErrorCode
from glurpcd.errors import CodedError

from .cluster import ClusterError
from .options import CohortOptions
from .pipeline import run_cohort


def run_guarded(files: list[str], options: CohortOptions) -> int:
    try:
        return run_cohort(files, options)
    except CodedError as exc:  # the model cannot be found or loaded
        raise GlurpcError(exc.message, code=exc.code) from None
    except ClusterError as exc:
        raise GlurpcError(str(exc), code=ErrorCode.USAGE) from None
    except ConnectionError as exc:  # ray.init could not reach --ray-address
        raise GlurpcError(f"Ray cluster: {exc}", code=ErrorCode.DAEMON_UNREACHABLE) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise GlurpcError(f"{exc.strerror or exc}{where}", code=ErrorCode.IO_ERROR) from None
