"""docs/notebook.ipynb runs top to bottom in a real Jupyter kernel against a real daemon.

`GLURPC_UPDATE_NOTEBOOK=1` writes the executed notebook (its outputs, the plot
included) back to docs/, so the page readers see is the page the suite ran.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from PIL import Image

pytestmark = pytest.mark.integration

nbformat = pytest.importorskip("nbformat", reason="the dev extra brings nbformat")
nbclient = pytest.importorskip("nbclient", reason="the dev extra brings nbclient")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebook.ipynb"
CELL_TIMEOUT_S = 300


def test_the_notebook_runs_in_a_kernel(daemon, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel inherits this environment: it finds the test's daemon, and
    # jupyter_core's platformdirs migration notice (a DeprecationWarning) stays off.
    monkeypatch.setenv("GLURPC_SOCKET", str(daemon.socket))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,  # no timestamps in the committed page
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    images = [o["data"]["image/png"] for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1
    assert Image.open(io.BytesIO(base64.b64decode(images[0]))).size == (800, 480)  # dpi=80
    text = "".join(o.get("text", "") for o in outputs)
    assert "windows in mg/dL" in text and "bad_request" in text
    if os.environ.get("GLURPC_UPDATE_NOTEBOOK"):
        for cell in notebook.cells:
            cell.metadata.pop("execution", None)
        nbformat.write(notebook, NOTEBOOK)
