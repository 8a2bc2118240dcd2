"""What a job of each lane carries to its worker (engine layer, no I/O).

The ops build these; the engine's workers run them: a cpu-lane task (a
function for a thread, or a ChildTask for a killable child process), a
render-lane coroutine, and the model lane's forecast payloads, which the model
worker batches by series. `ForecastModel` is what that worker needs of
`glurpc_core.model.Forecaster`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from glurpc_core.series import CgmSeries
from glurpcd.engine.parse_child import ChildTask


class ForecastModel(Protocol):
    """What the model worker needs of `glurpc_core.model.Forecaster`."""

    samples: int
    batch_rows: int

    def forecast(
        self,
        series: CgmSeries,
        indices: Sequence[int],
        *,
        skip: Callable[[int], bool],
        on_batch: Callable[[int, int], None] | None,
    ) -> dict[int, Any]: ...


@dataclass(frozen=True)
class Calculation:
    """A cpu-lane job that computes from results already at hand (an
    evaluation's scores), reported as `calculating` rather than `parsing`."""

    run: Callable[[], Any]

    def __call__(self) -> Any:
        return self.run()


# What running a job takes, by lane:
# A cpu-lane job (parsing): a function run in a thread, or, for large
# uploads, in a child process killed once the job is unwanted.
CpuTask = Callable[[], Any] | ChildTask | Calculation
RenderTask = Callable[[], Awaitable[Any]]  # awaits the render process pool


@dataclass(frozen=True)
class ForecastPayload:
    """A model-lane job: one window, batched with others of its series."""

    series: CgmSeries
    index: int

    @property
    def indices(self) -> tuple[int, ...]:
        return (self.index,)


@dataclass(frozen=True)
class ForecastSetPayload:
    """A model-lane job: many windows of one series for one request; they fill
    whole model batches, and the job's result is {index: forecast}."""

    series: CgmSeries
    indices: tuple[int, ...]
