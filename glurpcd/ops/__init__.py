"""Operations: what each `op` of docs/PROTOCOL.md does, given a request and its args.

Layer: between the connection (which calls `Ops.handler(op)`) and the engine.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from glurpcd.engine.lanes import Engine
from glurpcd.lifecycle import Request
from glurpcd.ops.admin import AdminOps
from glurpcd.ops.data import UploadResolver, convert
from glurpcd.ops.evaluation import EvaluationOps
from glurpcd.ops.forecasts import ForecastOps
from glurpcd.ops.process import process
from glurpcd.ops.results import ResultStore

Handler = Callable[[Request, dict[str, Any]], Awaitable[dict[str, Any]]]


class Ops:
    def __init__(
        self,
        engine: Engine,
        uploads: UploadResolver,
        forecasts: ForecastOps,
        admin: AdminOps,
        evaluations: EvaluationOps,
    ) -> None:
        self._handlers: dict[str, Handler] = {
            "ping": admin.ping,
            "status": admin.status,
            "cache": admin.cache,
            "convert": functools.partial(convert, engine, uploads.max_upload),
            "process": functools.partial(process, uploads, forecasts),
            "plot": forecasts.plot,
            "quick_plot": forecasts.quick_plot,
            "forecast": forecasts.forecast,
            "evaluate": evaluations.evaluate,
        }

    def handler(self, op: str) -> Handler | None:
        return self._handlers.get(op)


__all__ = ["AdminOps", "EvaluationOps", "ForecastOps", "Ops", "ResultStore", "UploadResolver"]
