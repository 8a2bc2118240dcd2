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


HEAVY = {
    "glurpc_ray", "glurpcd", "glurpc_core", "ray", "torch", "numpy", "polars", "pandas",
    "matplotlib", "pyarrow", "scipy", "rich",
}  # fmt: skip


@pytest.mark.parametrize("package", ["glurpc_cli", "glurpc_local"])
def test_the_client_packages_load_no_compute_stack_and_no_ray_until_asked(package: str):
    """Every module imported: the Ray engine (and its torch, numpy, ray) stays
    behind `--engine ray`, rich behind a terminal, pandas and polars behind
    `to_pandas()`/`to_polars()`, each imported inside the call that needs it."""
    assert _roots(_loaded_by(package)) & HEAVY == set()


# What one call may load beyond `import click, msgpack` (the floor every click CLI
# pays): our own modules, the C socket module, and what click itself loads while
# parsing (gettext's `locale` for the help option, `difflib` for a short option).
CALL_MAY_LOAD = {"_socket", "locale", "_locale", "difflib", "heapq", "_heapq"}
CALL_PROBE = """
import sys
import click, msgpack
floor = set(sys.modules)
from glurpc_cli.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
print(" ".join(sorted(set(sys.modules) - floor)))
"""


@pytest.mark.parametrize(
    "argv",
    [["ping"], ["plot", "cgm.csv", "--index", "3", "-o", "fig.png"]],
    ids=["ping", "plot"],
)
def test_a_calls_import_path_is_click_msgpack_and_our_own(argv: list[str], tmp_path):
    """`glurpc ping` and a cached `glurpc plot` pay start-up for every module they
    load before a byte is sent (bench/bench_startup.py measures it): a new module
    in that path (dataclasses, socket's enums, json, typing extras) must be a
    deliberate choice, made here."""
    (tmp_path / "cgm.csv").write_bytes(b"timestamp,glucose\n")
    command = ["--socket", str(tmp_path / "none.sock"), "--no-autostart", *argv]
    done = subprocess.run(
        [sys.executable, "-c", CALL_PROBE.format(argv=command)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    loaded = set(done.stdout.splitlines()[-1].split())
    ours = {name for name in loaded if name.split(".")[0] in ("glurpc_cli", "glurpc_wire")}
    assert loaded - ours <= CALL_MAY_LOAD, sorted(loaded - ours - CALL_MAY_LOAD)
