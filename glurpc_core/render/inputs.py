"""Render inputs: formats, the render error and forecast checks (pure compute, numpy only).

Everything that can be wrong with a render request is found here, before any
matplotlib work starts, and reported as a `RenderError` with a stable code from
docs/PROTOCOL.md. This module must never import matplotlib, asyncio or torch.
"""

from __future__ import annotations

import numpy as np

from glurpc_core.errors import CodedError, ErrorCode
from glurpc_core.forecast import QUANTILE_LEVELS, WindowForecast

FORMATS = ("png", "svg", "pdf")


class RenderError(CodedError):
    """A render that cannot be done (bad_request, invalid_data or internal)."""


def check_format(fmt: str) -> str:
    """The normalised format name; raises `bad_request` for anything else."""
    name = fmt.lower() if isinstance(fmt, str) else fmt
    if name not in FORMATS:
        raise RenderError(
            ErrorCode.BAD_REQUEST,
            f"unknown image format {fmt!r}; expected one of {', '.join(FORMATS)}",
            {"formats": list(FORMATS)},
        )
    return name


def _shape_error(name: str, shape: tuple[int, ...], expected: str) -> RenderError:
    return RenderError(
        ErrorCode.INVALID_DATA,
        f"forecast field {name} has shape {shape}, expected {expected}",
        {"field": name, "shape": list(shape)},
    )


def check_forecast(forecast: WindowForecast) -> None:
    """Raise `invalid_data` when the arrays cannot make a plot.

    Shapes must agree with each other (history [P], future [H], samples [H, S],
    quantiles [5, H]); history and the forecast itself must be finite. Truth may
    hold NaN: that is how steps past the end of the data are marked.
    """
    steps = np.shape(forecast.future_times)
    if len(steps) != 1 or steps[0] < 1:
        raise _shape_error("future_times", steps, "[H] with H >= 1")
    horizon = steps[0]
    points = np.shape(forecast.history_times)
    expected = {
        "history_times": (points, "[P] with P >= 1"),
        "history": (points, "[P], like history_times"),
        "truth": ((horizon,), f"[{horizon}]"),
        "median": ((horizon,), f"[{horizon}]"),
        "quantiles": ((len(QUANTILE_LEVELS), horizon), f"[{len(QUANTILE_LEVELS)}, {horizon}]"),
    }
    if len(points) != 1 or points[0] < 1:
        raise _shape_error("history_times", points, "[P] with P >= 1")
    for name, (shape, text) in expected.items():
        actual = np.shape(getattr(forecast, name))
        if actual != shape:
            raise _shape_error(name, actual, text)
    means = np.shape(forecast.sample_means)
    if len(means) != 2 or means[0] != horizon or means[1] < 1:
        raise _shape_error("sample_means", means, f"[{horizon}, S] with S >= 1")
    stds = np.shape(forecast.sample_stds)
    if stds not in ((means[1],), means):  # one std per sample, or per step and sample
        raise _shape_error("sample_stds", stds, f"[{means[1]}] or [{horizon}, {means[1]}]")
    for name in ("history", "sample_means", "sample_stds", "median", "quantiles"):
        if not np.all(np.isfinite(getattr(forecast, name))):
            raise RenderError(
                ErrorCode.INVALID_DATA,
                f"forecast field {name} holds NaN or infinity",
                {"field": name},
            )
