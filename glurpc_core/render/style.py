"""How one plot looks beyond its numbers: label, unit, span, size, marks (pure data).

Layer: render inputs. A `PlotStyle` travels with the forecast to a render
worker (it pickles: plain values and small arrays). `cache_tag` names every
option that changes the image bytes, so images with different options never
share a cache entry; the per-point marks follow from the window itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from glurpc_core.series import INPUT_STEPS, UNITS

DEFAULT_DPI = 100
DPI_RANGE = (50, 600)
MAX_TITLE = 200


def _no_marks() -> np.ndarray:
    return np.zeros(0, dtype=bool)


@dataclass(frozen=True)
class PlotStyle:
    label: str = ""  # the window as the user named it: "3 before the latest", "next hour"
    unit: str = "mg/dL"
    history_hours: float = INPUT_STEPS / 12  # the model's whole input
    dpi: int = DEFAULT_DPI
    title: str | None = None  # replaces the default title
    model_id: str = ""
    subject: str | None = None
    # The personal adaptation applied ("none" or a method name), named in the subtitle.
    adapt: str = ""
    # Per point of the history (and of the truth for `clipped_truth`): drawn hollow /
    # marked as clipped at the device limit.
    imputed: np.ndarray = field(default_factory=_no_marks)
    clipped: np.ndarray = field(default_factory=_no_marks)
    clipped_truth: np.ndarray = field(default_factory=_no_marks)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {UNITS}")
        if not 0 < self.history_hours <= INPUT_STEPS / 12:
            raise ValueError("history_hours must be in (0, 8]")
        if not DPI_RANGE[0] <= self.dpi <= DPI_RANGE[1]:
            raise ValueError(f"dpi must be in {DPI_RANGE[0]}..{DPI_RANGE[1]}")

    def cache_tag(self) -> str:
        """Every option that changes the image, in a form safe for a cache key."""
        title = "" if self.title is None else f"t{hash_text(self.title)}"
        unit = "mmol" if self.unit == "mmol/L" else "mgdl"
        adapt = f"a{hash_text(self.adapt)}" if self.adapt else ""
        tag = f"{unit}.h{self.history_hours:g}.d{self.dpi}.{title}".rstrip(".")
        return f"{tag}.{adapt}".rstrip(".")


def hash_text(text: str) -> int:
    """A stable (not per-process salted) hash of `text`."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")
