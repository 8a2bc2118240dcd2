"""glurpc_local: glucose forecasts from a notebook, through the local glurpcd daemon.

    import glurpc_local as gl

    info = gl.process("cgm.csv")                 # handle, windows, warnings
    fig = gl.plot("cgm.csv", index=3)            # shown inline; fig.save("fig.png")
    one = gl.forecast("cgm.csv", ahead=True, units="mmol/L")
    table = gl.forecasts("cgm.csv", range(24)).to_polars()   # or .to_pandas()
    scores = gl.evaluate(["a.csv", "b.csv"], plot="png")      # errors vs baselines

Indices, units, subject, `at` and history hours mean what they mean to the
`glurpc` command (`index=3`: three windows before the latest). Results are
plain dataclasses (results.py); errors are the client's tree (`GlurpcError`
and its subclasses, each with a stable `code`). The import name is not
`glurpc`, so this package never shadows (nor is shadowed by) GlucoseDAO's
reference service, whose import name that is.

`evaluate` scores the served forecast on every window of each file against
baselines (the daemon's `evaluate` op, as `glurpc evaluate`).
"""

from glurpc_cli.errors import (
    DaemonUnreachable,
    GlurpcError,
    OverloadedError,
    PermissionDenied,
    ProtocolMismatch,
    RequestFailed,
)
from glurpc_wire import __version__

from .api import evaluate, forecast, forecasts, plot, process
from .evaluation import Evaluation
from .results import DataWarning, Forecast, Forecasts, Plot, Processed

__all__ = [
    "DaemonUnreachable",
    "DataWarning",
    "Evaluation",
    "Forecast",
    "Forecasts",
    "GlurpcError",
    "OverloadedError",
    "PermissionDenied",
    "Plot",
    "Processed",
    "ProtocolMismatch",
    "RequestFailed",
    "__version__",
    "evaluate",
    "forecast",
    "forecasts",
    "plot",
    "process",
]
