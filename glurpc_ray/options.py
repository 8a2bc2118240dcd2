"""What a cohort run was asked to do (pure data: no Ray, no numpy).

Layer: the cohort engine's input. The CLI fills a `CohortOptions` from the
same selection options as the local path (`--index`, `--all`, `--ahead`) plus
the engine's own (`--ray-address`, `--actors`, the model settings the daemon
takes at start: `--model`, `--samples`, `--seed`, `--device`). Everything in
it crosses to Ray workers by pickle, so it stays small and plain.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from glurpc_cli.targets import OutputPlan

Kind = Literal["plot", "forecast", "evaluate"]


ALL_SUBJECTS = "all"  # `--subject all`: each subject of a multi-subject table in turn


@dataclass(frozen=True)
class Selection:
    """Which windows of each file: the wire indices given, the one whose
    forecast starts at `at` (`--at`, per file), or every window.

    `wires is None` and `at is None` mean `--all`: every window with a known
    future, learned per file once it is prepared, plus the next hour with `ahead`."""

    wires: tuple[int, ...] | None
    ahead: bool
    at: str | None = None


@dataclass(frozen=True)
class ModelSettings:
    """What changes a forecast's numbers: the daemon's `--model`, `--samples`,
    `--seed` and `--device`, with the daemon's defaults."""

    model: str | None = None
    samples: int = 10
    seed: int = 0
    device: str = "auto"


@dataclass(frozen=True)
class CohortOptions:
    kind: Kind
    selection: Selection
    plan: OutputPlan
    fmt: str = "png"  # plot: png/svg/pdf; forecast: json/csv; evaluate: its figure's, or ""
    skip_existing: bool = False
    as_json: bool = False  # plot: one JSON line per image on stdout
    output: str | None = None  # forecast: a file for the lines, None for stdout
    model: ModelSettings = ModelSettings()
    request: tuple[tuple[str, object], ...] = ()  # the daemon request's upload/style args
    address: str | None = None
    actors: int | None = None
    cwd: str = "/"  # the driver's: workers elsewhere resolve relative paths against it

    @property
    def args(self) -> dict[str, object]:
        """What the local path sends the daemon besides the csv and the windows:
        `subject`, `sequence`, `units`, `history_hours`, `dpi`, `title`."""
        return dict(self.request)

    @property
    def adapt(self) -> str:
        """The versioned adaptation served, as the daemon names it (`adapt`
        arg, or the daemon's default)."""
        from glurpc_core.model.adaptation import adapt_method

        name = self.args.get("adapt")
        return adapt_method(name if isinstance(name, str) else None)

    def local(self, path: Path) -> Path:
        """`path` as the driver meant it, from any worker's working directory."""
        return path if path.is_absolute() else Path(self.cwd) / path
