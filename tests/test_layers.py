"""The import rules between packages, checked in fresh interpreters:

- `glurpcd` imports nothing from `glurpc_cli` (both share `glurpc_wire`);
- the pure compute layers (ingest, render workers, model maths) load no msgpack;
- the wire package loads nothing beyond the standard library and msgpack;
- the runtime never imports the training tool.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import importlib, json, pkgutil, sys
for name in {modules!r}:
    module = importlib.import_module(name)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_by(*modules: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(modules=list(modules))],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout))


def _roots(loaded: set[str]) -> set[str]:
    return {name.split(".")[0] for name in loaded}


def test_the_daemon_never_imports_the_cli_or_the_training_tool():
    roots = _roots(_loaded_by("glurpcd"))
    assert "glurpc_cli" not in roots
    assert "glurpc_train" not in roots
    assert "glurpc_wire" in roots


@pytest.mark.parametrize(
    "layer", ["glurpc_core.ingest", "glurpc_core.render.worker", "glurpc_core.model"]
)
def test_pure_layers_load_no_msgpack(layer: str):
    assert "msgpack" not in _roots(_loaded_by(layer))


def test_the_wire_package_is_standard_library_and_msgpack():
    roots = _roots(_loaded_by("glurpc_wire")) - set(sys.stdlib_module_names)
    # An editable install adds its own path finder, and msgpack its compiled
    # extension's Cython runtime: neither is a dependency of ours.
    roots = {
        root
        for root in roots
        if not root.startswith(("__editable__", "_distutils", "cython_runtime", "_cython_"))
    }
    assert roots <= {"glurpc_wire", "msgpack", "__main__"}


def test_the_cli_loads_no_compute_stack_and_no_ray_until_asked():
    """Every CLI module imported: the Ray engine (and its torch, numpy, ray) stays
    behind `--engine ray`, imported inside the call that needs it."""
    roots = _roots(_loaded_by("glurpc_cli"))
    heavy = {"glurpc_ray", "glurpcd", "ray", "torch", "numpy", "polars", "matplotlib", "pyarrow"}
    assert roots & heavy == set()
