"""`--engine ray`: the options that send a plot or forecast job to a Ray cluster.

Layer: CLI. The options decorate `plot` and `forecast`; the job itself runs in
`glurpc_ray`, imported only when `--engine ray` is given (it computes in this
process's cluster driver, so it may load numpy and torch; the daemon engine
never does). Ray is an optional dependency: without it, one line says how to
install it.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import Any, NamedTuple

import click

from glurpc_wire.codes import ErrorCode

from .errors import GlurpcError

INSTALL_HINT = "--engine ray needs Ray: pip install 'glurpc-local[ray]'"


class EngineArgs(NamedTuple):  # not a dataclass: `dataclasses` costs every call start-up
    engine: str
    address: str | None
    actors: int | None
    model: str | None
    samples: int | None
    seed: int | None
    device: str | None

    @property
    def ray(self) -> bool:
        return self.engine == "ray"

    def check(self) -> None:
        """Ray-only options with the daemon engine are a usage error, not silently ignored."""
        if self.ray:
            return
        given = {
            "--ray-address": self.address,
            "--actors": self.actors,
            "--samples": self.samples,
            "--seed": self.seed,
            "--device": self.device,
        }
        named = [name for name, value in given.items() if value is not None]
        if named:
            raise click.UsageError(
                f"{', '.join(named)} only apply with --engine ray "
                "(the daemon takes its model settings at start: see glurpcd --help)"
            )


_OPTIONS = (
    click.option(
        "--engine",
        type=click.Choice(["daemon", "ray"]),
        default="daemon",
        show_default=True,
        help="daemon: the local glurpcd. ray: a Ray cluster, same files "
        "(pip install 'glurpc-local[ray]').",
    ),
    click.option(
        "--ray-address",
        metavar="ADDR",
        help="Join this Ray cluster (host:port); default: start a local one.",
    ),
    click.option(
        "--actors",
        type=click.IntRange(min=1),
        help="Model actors (Ray): default one per GPU, else half the cluster's CPUs.",
    ),
    click.option("--samples", type=click.IntRange(min=1), help="MC-dropout samples (Ray; 10)."),
    click.option("--seed", type=int, help="Sampling seed (Ray; 0)."),
    click.option("--device", metavar="auto|cpu|cuda", help="Model device (Ray; auto)."),
)


def engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the engine options to a command; it receives them as one `engine` argument."""

    @functools.wraps(command)
    def with_engine(*args: Any, **kwargs: Any) -> Any:
        name = kwargs.pop("engine")
        engine = EngineArgs(
            name,
            kwargs.pop("ray_address"),
            kwargs.pop("actors"),
            _ray_checkpoint(kwargs) if name == "ray" else None,
            kwargs.pop("samples"),
            kwargs.pop("seed"),
            kwargs.pop("device"),
        )
        engine.check()
        return command(*args, engine=engine, **kwargs)

    decorated: Callable[..., Any] = with_engine
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated


def _ray_checkpoint(kwargs: dict[str, Any]) -> str | None:
    """`--model` under `--engine ray` is one checkpoint file (the command's own
    `--model` option, which names store models for the daemon)."""
    given = kwargs.get("model") or kwargs.get("models")
    if isinstance(given, tuple):
        if len(given) > 1:
            raise click.UsageError("--engine ray takes one --model PATH (a checkpoint file)")
        given = given[0] if given else None
    return given


def check_ray_selection(files: tuple[str, ...], to_stdout: bool) -> None:
    """What the Ray engine does not take: usage errors, before any cluster starts."""
    if to_stdout:
        raise click.UsageError("--engine ray writes files: give -o FILE or -o DIR/")
    if "-" in files:
        raise click.UsageError("--engine ray reads files on the cluster's nodes, not stdin (-)")


def run_on_ray(
    files: tuple[str, ...],
    engine: EngineArgs,
    wires: list[int] | None,
    ahead: bool,
    at: str | None,
    **job: Any,
) -> int:
    """Run the job on Ray: `at` (each file's window at that time), else `wires`
    (None for --all) and `ahead` select the windows; `job` holds CohortOptions'
    output fields and `request`, the daemon request's upload and style args."""
    _require_ray()
    from glurpc_ray.options import Selection
    from glurpc_ray.run import run_guarded

    selection = Selection(None if wires is None else tuple(wires), ahead, at)
    return run_guarded(list(files), _cohort_options(engine, selection, **job))


def evaluate_on_ray(
    files: tuple[str, ...], engine: EngineArgs, figure: str | None, request: dict[str, Any]
) -> dict[str, Any]:
    """`glurpc evaluate` on Ray: the report the daemon's `evaluate` answers,
    with the figure (`image`) when `figure` names its format."""
    _require_ray()
    from glurpc_ray.options import Selection
    from glurpc_ray.run import evaluate_guarded

    from .targets import OutputPlan

    selection = Selection(None, ahead=False)  # every window with a known next hour
    options = _cohort_options(
        engine, selection, kind="evaluate", plan=OutputPlan(stdout=True), fmt=figure or "",
        request=request,
    )  # fmt: skip
    return evaluate_guarded(list(files), options)


def _require_ray() -> None:
    """Before anything of glurpc_ray is imported: it needs Ray's pyarrow."""
    if importlib.util.find_spec("ray") is None:
        raise GlurpcError(INSTALL_HINT, code=ErrorCode.USAGE)


def _cohort_options(engine: EngineArgs, selection: Any, **job: Any) -> Any:
    import os

    from glurpc_ray.options import CohortOptions, ModelSettings

    settings = ModelSettings(
        model=engine.model,
        samples=engine.samples if engine.samples is not None else ModelSettings.samples,
        seed=engine.seed if engine.seed is not None else ModelSettings.seed,
        device=engine.device or ModelSettings.device,
    )
    request = tuple(sorted(job.pop("request", {}).items()))
    return CohortOptions(
        **job,
        request=request,
        selection=selection,
        model=settings,
        address=engine.address,
        actors=engine.actors,
        cwd=os.getcwd(),
    )
