"""What `glurpc_local.evaluate` returns: the evaluation report as a dataclass.

Layer: public Python API, result types (standard library only; frames on request).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .results import Tabular


@dataclass(frozen=True)
class Evaluation(Tabular):
    """How good the served forecast is on these data (docs/PROTOCOL.md `evaluate`):
    per source and pooled, each forecaster's errors at 5..60 minutes, in mg/dL."""

    forecasters: list[str]
    horizons_min: list[int]
    sources: list[dict[str, Any]]  # one group per source: label, windows, metrics, ...
    pooled: dict[str, Any]
    model: dict[str, Any]
    report: dict[str, Any] = field(repr=False)  # the whole reply, for what is not above
    image: bytes | None = field(default=None, repr=False)
    format: str | None = None

    @classmethod
    def from_wire(cls, reply: dict[str, Any]) -> Evaluation:
        image = reply.get("image")
        return cls(
            forecasters=list(reply.get("forecasters") or []),
            horizons_min=[int(h) for h in reply.get("horizons_min") or []],
            sources=list(reply.get("sources") or []),
            pooled=dict(reply.get("pooled") or {}),
            model=dict(reply.get("model") or {}),
            report={k: v for k, v in reply.items() if k != "image"},
            image=None if image is None else bytes(image),
            format=reply.get("format"),
        )

    def rows(self) -> list[dict[str, Any]]:
        """One row per group (each source, then "pooled"), forecaster and horizon."""
        rows = []
        for group in [*self.sources, {**self.pooled, "label": "pooled"}]:
            for forecaster, metrics in (group.get("metrics") or {}).items():
                for step, horizon in enumerate(self.horizons_min):
                    row: dict[str, Any] = {
                        "label": group.get("label"),
                        "forecaster": forecaster,
                        "horizon_min": horizon,
                    }
                    row |= {name: values[step] for name, values in metrics.items()}
                    rows.append(row)
        return rows

    def _repr_png_(self) -> bytes | None:
        return self.image if self.format == "png" else None
